"""Invoke one function with a sample event, on the embedded local stack (API Gateway mode).

    python -m localdev.invoke GetProductFunction events/products/get_product.json

stdout carries the handler's result alone (JSON); its log and metric lines go to stderr. An unknown
function or event file lists the valid names and exits with status 2. Without a function the event file
names it: ``events/<ctx>/<name>.json`` is the event of the function whose code is ``<CodeUri>/<ctx>/<name>.py``
(its Handler ``<ctx>.<name>.handler``). Each invocation runs on a fresh database with the demo data (unless
DATABASE_URL names one), so an event that bans or deletes the demo user answers the same every time and never
changes what `make run` serves: nor does anything else the call writes. Its emails land in
``.local/invoke-mail/`` (MAIL_DIRECTORY moves them), its cache and revocations in a Redis stand-in of its own
(REDIS_URL is used only with DATABASE_URL: another database's Redis would hold that database's entries), its
messages in an SQS of its own and its charges in a fake payment provider of its own. With DATABASE_URL the
call shares what a `make run` on that database uses: its Redis stand-in, its SQS, its mail folder.

SQS consumers take an SQS event (``{"Records": [...]}``) and scheduled functions an EventBridge scheduled
event, as ``localdev.aws_events`` builds them; the messages they send go to the SQS of a `make run` on the
same database (``DATABASE_URL``), else to one started for this call (a message names rows of its own database:
a `make run` on another one must not consume it). HTTP functions'
sample events are API Gateway events: the authorizer's claims sit in ``requestContext.authorizer``,
as they do when the API Gateway authorizer has run. The authorizer's own event carries the placeholder
``{{token:ROLE}}``, replaced by a fresh local token of that role.

The consumers' sample events name the sample order ``SAMPLE_ORDER``: on the fresh database it is placed for
the demo user (two demo mugs, ``tok_approve``) and brought to the state the event expects by the saga's own
steps (PENDING for ``order.placed``, RESERVED for ``payment.charge_requested``, CONFIRMED for
``order.confirmed``), so each consumer does its real work: reserves the stock, charges the fake payment
provider (served by this call, as `make run` serves it), emails the confirmation to ``.local/invoke-mail/``. The
HTTP order events (get, replace, update, delete, cancel, and the admin's get, list, replace, delete) name
``HTTP_SAMPLE_ORDER``, placed the same way and brought to the state each acts on (PENDING at version 1 for the
owner's get, replace, update and cancel, and the service bulk update's notes; CONFIRMED for the admin's
fulfilment update; CANCELLED for a delete), so each answers its success status. The refresh and
reset-password events carry ``SAMPLE_REFRESH_TOKEN`` and ``SAMPLE_RESET_TOKEN``, seeded (as their digests, as
the real flows store them) for the demo user first.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO
from uuid import UUID

from localdev.paths import EVENTS, ROOT, STATE, use_lambda_paths
from localdev.runtime import invoke
from localdev.stack import DEMO_ACCOUNTS, DEMO_PRODUCTS, DEMO_TENANT
from localdev.template import read_api


def fill_placeholders(text: str) -> str:
    """Replace each ``{{token:ROLE}}`` with a signed local token of that role in the demo tenant."""
    from localdev.issue_token import local_subject, local_username, make_token

    def token(found: re.Match[str]) -> str:
        role = found.group(1)
        return make_token(role, str(DEMO_TENANT), local_subject(role), local_username(role), 3600)

    return re.sub(r"\{\{token:(\w+)\}\}", token, text)


SAMPLE_ORDER = UUID("0195d5b0-0000-7000-8000-00000000a001")
# The tokens events/auth/refresh.json and events/auth/reset_password.json present (local sample values only).
SAMPLE_REFRESH_TOKEN = "q0uN3bEt0u1mQ8t5yq4d2a9zX7cV1bN6mL3kJ8hG5fD"  # noqa: S105 - a sample event's value
SAMPLE_RESET_TOKEN = "r3sEtS4mpLeT0k3nF0rM4k3Inv0k3aB9cD2eF5gH7jK"  # noqa: S105 - a sample event's value
# The order the HTTP order events (events/orders/{get,replace,update,delete,cancel}_order.json) name.
HTTP_SAMPLE_ORDER = UUID("7b3e9d10-0001-4000-8000-000000000001")
CANCELLED = -1  # in SAMPLE_ORDERS: cancelled by its owner instead of moved by the saga
# The order each function's sample event names, and how many saga steps it goes through before the event.
SAMPLE_ORDERS = {
    "ProcessOrderFunction": (SAMPLE_ORDER, 0),
    "ProcessPaymentFunction": (SAMPLE_ORDER, 1),
    "SendNotificationFunction": (SAMPLE_ORDER, 2),
    # PENDING, version 1: what GET, PUT (If-Match "v1"), PATCH and cancel may act on
    **{f"{verb}OrderFunction": (HTTP_SAMPLE_ORDER, 0) for verb in ("Get", "Replace", "Update", "Cancel")},
    "DeleteOrderFunction": (HTTP_SAMPLE_ORDER, CANCELLED),  # only a finished order may be deleted
    "AdminGetOrderFunction": (HTTP_SAMPLE_ORDER, 0),
    "AdminListOrdersFunction": (HTTP_SAMPLE_ORDER, 2),  # the event lists CONFIRMED orders
    "AdminUpdateOrderFunction": (HTTP_SAMPLE_ORDER, 2),  # CONFIRMED at version 4: the event ships it (If-Match "v4")
    "AdminDeleteOrderFunction": (HTTP_SAMPLE_ORDER, CANCELLED),
    "ProcessOrderAgainFunction": (HTTP_SAMPLE_ORDER, 0),  # a PENDING order to send to processing again
    "BulkUpdateOrdersFunction": (HTTP_SAMPLE_ORDER, 0),  # a PENDING order at version 1: the service amends it
    # a CONFIRMED, paid order placed now: the admin's figures (revenue today, sales, analytics) count it
    **{f"AdminGet{figures}Function": (HTTP_SAMPLE_ORDER, 2) for figures in ("Stats", "Reports", "Analytics")},
}
# The key the service and internal sample events carry until `make invoke` makes a real one (never in code).
SAMPLE_SERVICE = "demo-service"
SERVICE_KEY_PLACEHOLDER = f"sk_REPLACE_WITH_THE_OUTPUT_OF_make_service-key_SERVICE={SAMPLE_SERVICE}"


def seed_sample_order(function_id: str) -> UUID | None:
    """Place the order ``function_id``'s sample event names and move it to the state the event expects (None
    and nothing done for other functions; the order's id otherwise). The steps' messages stay in the outbox:
    only the event given to ``make invoke`` is consumed."""
    sample = SAMPLE_ORDERS.get(function_id)
    if sample is None:
        return None
    _place_sample_order(*sample)
    return sample[0]


def seed_sample_token(function_id: str) -> bool:
    """For the refresh and reset-password functions, store the token their sample event presents, for the demo
    user, as login and a mailed reset link store theirs (True when one was seeded)."""
    if function_id not in ("RefreshTokensFunction", "ResetPasswordFunction"):
        return False
    use_lambda_paths()
    from uuid import uuid4

    from storefront import bootstrap
    from storefront.adapters.clock import SystemClock
    from storefront.application.auth import AuthPolicy, digest
    from storefront.domain.sessions import PasswordReset, RefreshSession

    user_id, policy, now = DEMO_ACCOUNTS[1][0], AuthPolicy(), SystemClock().now()
    with bootstrap.identity_unit_of_work() as uow:
        if function_id == "RefreshTokensFunction":
            token_hash = digest(SAMPLE_REFRESH_TOKEN)
            if uow.refresh_sessions.find(token_hash) is None:
                family, expires = uuid4(), now + policy.refresh_lifetime
                session = RefreshSession(uuid4(), DEMO_TENANT, user_id, family, token_hash, now, expires)
                uow.refresh_sessions.add(session)
        else:
            token_hash = digest(SAMPLE_RESET_TOKEN)
            if uow.password_resets.find(token_hash) is None:
                expires = now + policy.reset_lifetime
                uow.password_resets.add(PasswordReset(uuid4(), DEMO_TENANT, user_id, token_hash, now, expires))
        uow.commit()
    return True


def sample_order_status(order_id: UUID = SAMPLE_ORDER) -> str:
    """The sample order's status now ("gone" when it was never placed, or is deleted)."""
    use_lambda_paths()
    from storefront import bootstrap

    with bootstrap.order_unit_of_work() as uow:
        order = uow.orders.get(DEMO_TENANT, order_id)
    return "gone" if order is None else f"{order.status.value} (payment {order.payment_status.value})"


def _place_sample_order(order_id: UUID, steps: int) -> None:
    use_lambda_paths()
    from dataclasses import replace

    from storefront import bootstrap
    from storefront.application import orders, saga
    from storefront.application.orders import OrderLine, priced_items
    from storefront.domain.addresses import Address
    from storefront.domain.identity import Principal, Role
    from storefront.domain.orders import Order

    user_id = DEMO_ACCOUNTS[1][0]
    mug = DEMO_PRODUCTS[0][0]
    ports = replace(bootstrap.saga(), publisher=None)
    with ports.unit_of_work() as uow:
        existing = uow.orders.get(DEMO_TENANT, order_id)
        if existing is None:
            lines = [OrderLine(mug, 2)]
            order, event = Order.place(
                tenant_id=DEMO_TENANT,
                user_id=user_id,
                items=priced_items(lines, uow.orders.catalogue(DEMO_TENANT, [mug])),
                shipping_address=Address(line1="1 Rue de la Paix", city="Paris", postal_code="75002", country="FR"),
                payment_token="tok_approve",  # noqa: S106 - the fake provider's approving token
                notes=None,
                actor=str(user_id),
                now=ports.clock.now(),
            )
            event = replace(event, order_id=order_id)
            uow.orders.add(replace(order, id=order_id, history=(event,)), event)
            uow.commit()
    if steps == CANCELLED and existing is None:
        owner = Principal(user_id=str(user_id), username=DEMO_ACCOUNTS[1][2], role=Role.USER, tenant_id=DEMO_TENANT)
        orders.cancel_order(replace(bootstrap.orders(), publisher=None), owner, order_id, None)
    if steps >= 1:
        saga.reserve_order(ports, DEMO_TENANT, order_id)
    if steps >= 2:
        saga.charge_order(ports, bootstrap.payment_gateway(), DEMO_TENANT, order_id)


def fill_service_key(text: str, database_url: str) -> str:
    """Replace the sample events' service key placeholder with a new key of the demo service, made in the
    database the event runs against (as `make service-key SERVICE=demo-service` makes one)."""
    if SERVICE_KEY_PLACEHOLDER not in text:
        return text
    from localdev.service_key import new_service_key

    return text.replace(SERVICE_KEY_PLACEHOLDER, new_service_key(database_url, SAMPLE_SERVICE, actor="make invoke"))


def run(function_id: str, event_path: Path, database_url: str | None = None) -> dict[str, Any]:
    """The handler's answer to the event in ``event_path`` (a service key placeholder filled in the database at
    ``database_url``)."""
    function = read_api().functions[function_id]
    text = fill_placeholders(event_path.read_text())
    event = json.loads(fill_service_key(text, database_url) if database_url else text)
    return invoke(function.handler, function.function_name, event, function.environment)


def valid_names() -> str:
    """The functions of template.yaml and the event files under events/, as `make invoke` lists them."""
    functions = "\n".join(f"  {name}" for name in sorted(read_api().functions))
    events = "\n".join(f"  {path.relative_to(ROOT)}" for path in sorted(EVENTS.rglob("*.json")))
    return f"functions (FN=) in template.yaml:\n{functions}\nevent files (EVENT=) under events/:\n{events}"


INVOKE_MAIL_DIRECTORY = STATE / "invoke-mail"  # the emails of a call on its own database (not `make run`'s)


def function_for_event(event_path: Path) -> tuple[str | None, str]:
    """The function whose sample event ``event_path`` is (``events/<ctx>/<name>.json`` belongs to the function
    whose Handler is ``<ctx>.<name>.handler`` in the template's CodeUri), or None and why not."""
    try:
        relative = event_path.resolve().relative_to(EVENTS)
    except ValueError:
        return None, f"{event_path} is not under events/, so it names no function: give FN="
    module = ".".join(relative.with_suffix("").parts)
    matches = sorted(f.logical_id for f in read_api().functions.values() if f.handler.rsplit(".", 1)[0] == module)
    if len(matches) == 1:
        return matches[0], ""
    if matches:
        return None, f"{event_path} fits several functions ({', '.join(matches)}): give FN="
    return None, f"no function of template.yaml has the code functions/{module.replace('.', '/')}.py: give FN="


def _event_file(given: str) -> Path | None:
    for candidate in (Path(given), ROOT / given):
        if candidate.is_file():
            return candidate
    return None


@contextmanager
def _stdout_to_stderr() -> Iterator[TextIO]:
    """Send everything written to stdout meanwhile (the handler's metrics and logs) to stderr; yields a
    stream on the real stdout. File-descriptor level, so writers that kept a reference to sys.stdout
    (Powertools' logger, its metrics) are redirected too."""
    sys.stdout.flush()
    real_stdout = os.dup(1)
    os.dup2(2, 1)
    try:
        with os.fdopen(os.dup(real_stdout), "w") as result:
            yield result
            sys.stdout.flush()
    finally:
        os.dup2(real_stdout, 1)
        os.close(real_stdout)


def main(argv: list[str] | None = None) -> int:
    """Invoke FN with EVENT and print the handler's result, alone, on stdout; exit 2 on an unknown name."""
    parser = argparse.ArgumentParser(description="Invoke a function with a sample event.", epilog=valid_names())
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("function", nargs="?", default="", help="logical id in template.yaml")
    parser.add_argument("event", nargs="?", default="", help="an event file under events/")
    args = parser.parse_args(argv)
    event_path = _event_file(args.event) if args.event else None
    problems = []
    if not args.function and event_path is not None:
        args.function, why_not = function_for_event(event_path)
        if args.function is None:
            print(f"{why_not}.\n{valid_names()}", file=sys.stderr)
            return 2
        print(f"{args.event} is the event of {args.function}", file=sys.stderr)
    if args.function not in read_api().functions:
        problems.append(f"unknown function {args.function!r}" if args.function else "no function given (FN=)")
    if event_path is None:
        problems.append(f"no event file {args.event!r}" if args.event else "no event file given (EVENT=)")
    if problems:
        print(f"{'; '.join(problems)}.\n{valid_names()}", file=sys.stderr)
        return 2
    assert event_path is not None
    try:
        json.loads(event_path.read_text())
    except ValueError as error:
        print(f"{event_path} is not a JSON event: {error}", file=sys.stderr)
        return 2

    from localdev.payment_provider import serve
    from localdev.sqs import local_sqs
    from localdev.stack import local_stack

    api = read_api()
    own_database = not os.environ.get("DATABASE_URL")
    if own_database:  # nothing of `make run`'s: its mail folder, its Redis (the stand-in is per database)
        os.environ.setdefault("MAIL_DIRECTORY", str(INVOKE_MAIL_DIRECTORY))
    with (
        tempfile.TemporaryDirectory(prefix="storefront-invoke-") as scratch,
        _stdout_to_stderr() as stdout,
        serve() as provider,  # a fake payment provider of this call's own (its ledger in memory)
        local_stack(
            "apigw",
            os.environ.get("DATABASE_URL") or f"sqlite:///{Path(scratch, 'invoke.db')}",
            None if own_database else os.environ.get("REDIS_URL"),
        ) as env,
        # The SQS of a `make run` on the same database (DATABASE_URL), else one for this call alone.
        local_sqs(api, share=False, database_url=env["DATABASE_URL"]) as sqs,
    ):
        os.environ.update(sqs.environment(api))
        os.environ["PAYMENT_PROVIDER_URL"] = provider.url
        if seed_sample_token(args.function):
            print("the sample event's token is seeded for the demo user", file=sys.stderr)
        sample = seed_sample_order(args.function)
        if sample is not None:
            print(f"sample order {sample} is {sample_order_status(sample)} before the event", file=sys.stderr)
        result = run(args.function, event_path, env["DATABASE_URL"])
        if sample is not None:
            print(f"sample order {sample} is {sample_order_status(sample)} after it", file=sys.stderr)
        print(json.dumps(result, indent=2), file=stdout, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
