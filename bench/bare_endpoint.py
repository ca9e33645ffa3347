"""The baseline of the HTTP write path: a bare FastAPI endpoint doing one `insert_one` of the body it
receives, with a new `_id`, into the same FerretDB; served by uvicorn as a process of its own, as
the partners service is (bench/http_path.py starts it).

    OPP_MONGO_URL=... OPP_MONGO_DATABASE=... OPP_HTTP_PORT=... python bench/bare_endpoint.py
"""

from __future__ import annotations

import os
import uuid
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pymongo import AsyncMongoClient

COLLECTION = "bare_partners"


@asynccontextmanager
async def lifespan(app: FastAPI):
    client = AsyncMongoClient(os.environ["OPP_MONGO_URL"], tz_aware=True)
    app.state.collection = client[os.environ["OPP_MONGO_DATABASE"]][COLLECTION]
    await app.state.collection.insert_one({"_id": "warm-up"})  # the database and collection exist before timing
    yield
    await client.close()


app = FastAPI(lifespan=lifespan)


@app.post("/api/v1/partners", status_code=201)
async def insert(body: dict[str, Any]) -> JSONResponse:
    document = {**body, "_id": str(uuid.uuid4())}
    await app.state.collection.insert_one(document)
    return JSONResponse(document, status_code=201)


@app.get("/health/ready")
async def ready() -> dict[str, str]:
    return {"status": "ok"}


if __name__ == "__main__":
    uvicorn.run(
        app,
        host=os.environ.get("OPP_HTTP_HOST", "127.0.0.1"),
        port=int(os.environ["OPP_HTTP_PORT"]),
        log_config=None,
        server_header=False,
    )
