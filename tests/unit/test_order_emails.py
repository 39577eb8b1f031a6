"""The order emails' news: the shipped and delivered ones carry the notes the fulfilment left (a tracking
number), the others never do."""

from __future__ import annotations

from dataclasses import replace
from uuid import uuid4

import pytest

from storefront.application.notifications import notice, order_email
from storefront.domain.users import Identity, User
from storefront.messages.orders import OrderConfirmed, OrderDelivered, OrderShipped
from tests.fakes import FakeOrders
from tests.unit.test_saga import placed, product

TRACKING = "Tracking 1Z999AA10123456784 <UPS>"


@pytest.mark.parametrize(
    ("message", "notes", "shown"),
    [
        (OrderShipped, TRACKING, True),
        (OrderDelivered, TRACKING, True),
        (OrderShipped, None, False),
        (OrderDelivered, "", False),
        (OrderConfirmed, TRACKING, False),  # before fulfilment the notes are the buyer's own
    ],
)
def test_shipped_and_delivered_emails_show_the_notes_when_there_are_some(message, notes, shown):
    """Outside pass: the shipped and delivered emails left out the admin's notes (the tracking number)."""
    shop = FakeOrders()
    order, _ = placed(shop, [(product(shop, uuid4(), 5), 1)])
    order = replace(order, notes=notes)
    who = Identity("bo@example.com", "bobuyer", "Bo Buyer")
    owner = User.create(order.tenant_id, who, "hash", None, shop.clock.now())
    email = order_email(owner, order, notice(message(order_id=order.id), order))
    assert (TRACKING in email.text, "Tracking 1Z999AA10123456784 &lt;UPS&gt;" in email.html) == (shown, shown)
