"""Imports by upload: small files load before the answer, large ones as a background job."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Query, Response, UploadFile, status
from fastapi.responses import JSONResponse

from cordon.api.deps import ActorDep, JobsDep, SettingsDep, needs
from cordon.api.routes.jobs import JobRead, job_read
from cordon.domain.roles import require
from cordon.errors import InvalidValue
from cordon.formats.schemas import Kind
from cordon.runtime.tasks import ImportTask, Who
from cordon.services.imports import KIND_PERMISSION

__all__ = ["router"]

router = APIRouter(prefix="/imports", tags=["imports"])
SUFFIXES = {".csv", ".parquet", ".pq", ".jsonl", ".ndjson", ".json", ".gz", ".tsv", ".txt"}


@router.post(
    "",
    response_model=JobRead,
    status_code=status.HTTP_201_CREATED,
    responses={
        202: {"model": JobRead, "description": "accepted: the import runs as a job"},
        422: {"model": JobRead, "description": "refused: the finished job says why"},
    },
    dependencies=[needs(*set(KIND_PERMISSION.values()), any_of=True)],
)
def upload(
    kind: Kind,
    file: Annotated[UploadFile, File(description="A canonical CSV, Parquet or JSON-lines file.")],
    actor: ActorDep,
    cfg: SettingsDep,
    jobs: JobsDep,
    response: Response,
    format: Annotated[
        str | None, Query(pattern="^(csv|parquet|jsonl)$", description="Else from the name.")
    ] = None,
) -> JobRead | JSONResponse:
    """Import one file of ``kind``: all rows or none (a refused file names every bad row). Up
    to the sync limit the answer carries the finished job (201, or 422 when it was refused);
    larger uploads answer 202 at once and the job (``GET /jobs/{id}``) shows the progress. The
    upload's temporary folder is removed on every path (the import task removes it after)."""
    require(actor, KIND_PERMISSION[kind])
    name = Path(file.filename or "upload").name
    suffix = "".join(s for s in Path(name).suffixes if s.lower() in SUFFIXES)[-16:]
    if not suffix and format is None:
        raise InvalidValue("cannot tell the format from the file name: pass ?format=csv|...")
    spool = Path(cfg.spool_dir) if cfg.spool_dir else None
    if spool is not None:
        spool.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="cordon-upload-", dir=spool))
    try:
        stem = re.sub(r"[^\w-]", "_", name.split(".", 1)[0])[:64] or "upload"
        path = folder / f"{stem}{suffix}"  # messages name the file as sent, not the folder
        with path.open("wb") as out:
            shutil.copyfileobj(file.file, out, 1 << 20)
        size = path.stat().st_size
        task = ImportTask(
            path=str(path),
            filename=name,
            kind=kind.value,
            who=Who.of(actor),
            zone=cfg.timezone,
            fmt=format,
        )
        if size > cfg.sync_import_bytes:
            response.status_code = status.HTTP_202_ACCEPTED
            return job_read(jobs.submit(task, owner=actor.name))
        job = jobs.run_here(task, owner=actor.name)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    if job.status == "failed":
        return JSONResponse(job_read(job).model_dump(mode="json"), status_code=422)
    return job_read(job)
