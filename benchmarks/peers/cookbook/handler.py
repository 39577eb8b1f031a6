"""Cookbook-style peer: what a Powertools tutorial function for "get one product" usually looks like.

Module level: Logger, Metrics, the REST resolver, a boto3 Secrets Manager client that reads the
database secret at INIT, a redis-py client. The route reads the product from Redis and validates it
with pydantic. It runs in its own virtualenv (benchmarks/peers/cookbook/requirements.txt).
"""

import json
import os

import boto3
import redis
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.metrics import MetricUnit
from pydantic import BaseModel

logger = Logger()
metrics = Metrics()
app = APIGatewayRestResolver()

secrets = boto3.client("secretsmanager")
database = json.loads(secrets.get_secret_value(SecretId=os.environ["DATABASE_SECRET_ARN"])["SecretString"])
cache = redis.Redis.from_url(os.environ["REDIS_URL"])


class Price(BaseModel):
    amount: str
    currency: str


class Product(BaseModel):
    id: str
    sku: str
    name: str
    price: Price
    stock: int
    version: int


@app.get("/KONGAPI/api/v1/products/<product_id>")
def get_product(product_id: str) -> dict:
    raw = cache.get(f"peer:products:{product_id}")
    if raw is None:
        raise NotFoundError("Product not found")
    product = Product.model_validate_json(raw)
    metrics.add_metric(name="ProductRead", unit=MetricUnit.Count, value=1)
    return {"success": True, "data": product.model_dump()}


@logger.inject_lambda_context
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict, context: object) -> dict:
    return app.resolve(event, context)
