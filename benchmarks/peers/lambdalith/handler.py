"""FastAPI + Mangum lambdalith peer: every product route in one function, as such apps are usually written.

Module level: settings (pydantic-settings), the database secret read with boto3, a SQLAlchemy engine
for Oracle (python-oracledb; created, not connected), a redis-py client, the FastAPI app and Mangum.
It has Storefront's runtime dependencies plus FastAPI and Mangum, in its own virtualenv
(benchmarks/peers/lambdalith/requirements.txt).
"""

import json
from decimal import Decimal
from typing import Annotated
from uuid import UUID, uuid4

import boto3
import redis
from fastapi import FastAPI, Header, HTTPException
from mangum import Mangum
from pydantic import BaseModel
from pydantic_settings import BaseSettings
from sqlalchemy import Column, MetaData, Numeric, String, Table, create_engine, insert, select, update
from sqlalchemy.engine import URL


class Settings(BaseSettings):
    database_secret_arn: str
    redis_url: str


settings = Settings()
secret = json.loads(
    boto3.client("secretsmanager").get_secret_value(SecretId=settings.database_secret_arn)["SecretString"]
)
engine = create_engine(
    URL.create(
        "oracle+oracledb",
        username=secret["username"],
        password=secret["password"],
        host=secret["host"],
        port=int(secret.get("port", 1521)),
        query={"service_name": secret["service_name"]},
    ),
    pool_pre_ping=True,
)
metadata = MetaData()
products = Table(
    "PRODUCTS",
    metadata,
    Column("ID", String(36), primary_key=True),
    Column("SKU", String(64)),
    Column("NAME", String(200)),
    Column("PRICE_AMOUNT", Numeric(12, 2)),
    Column("PRICE_CURRENCY", String(3)),
)
cache = redis.Redis.from_url(settings.redis_url)
PREFIX = "/KONGAPI/api/v1"
app = FastAPI()


class Price(BaseModel):
    amount: Decimal
    currency: str


class ProductIn(BaseModel):
    sku: str
    name: str
    price: Price
    stock: int = 0


class Product(ProductIn):
    id: UUID
    version: int = 1


@app.get(PREFIX + "/products/{product_id}")
def get_product(product_id: UUID, authorization: Annotated[str | None, Header()] = None) -> dict:
    raw = cache.get(f"peer:products:{product_id}")
    if raw is not None:
        return {"success": True, "data": Product.model_validate_json(raw).model_dump(mode="json")}
    with engine.connect() as connection:
        row = connection.execute(select(products).where(products.c.ID == str(product_id))).first()
    if row is None:
        raise HTTPException(status_code=404, detail="Product not found")
    return {"success": True, "data": dict(row._mapping)}


@app.get(PREFIX + "/products")
def list_products(limit: int = 20, offset: int = 0) -> dict:
    with engine.connect() as connection:
        rows = connection.execute(select(products).limit(limit).offset(offset)).all()
    return {"success": True, "data": [dict(r._mapping) for r in rows]}


@app.post(PREFIX + "/products", status_code=201)
def create_product(body: ProductIn) -> dict:
    product = Product(id=uuid4(), **body.model_dump())
    with engine.begin() as connection:
        connection.execute(insert(products).values(ID=str(product.id), SKU=product.sku, NAME=product.name))
    return {"success": True, "data": product.model_dump(mode="json")}


@app.patch(PREFIX + "/products/{product_id}")
def update_product(product_id: UUID, body: dict) -> dict:
    with engine.begin() as connection:
        connection.execute(update(products).where(products.c.ID == str(product_id)).values(NAME=body.get("name")))
    cache.delete(f"peer:products:{product_id}")
    return {"success": True}


handler = Mangum(app, lifespan="off")
