"""Imports by upload: small files load before the answer, large ones as a background job."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Query, Response, UploadFile, status

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
MAX_BYTES = 2 << 30


@router.post(
    "",
    response_model=JobRead,
    status_code=status.HTTP_201_CREATED,
    responses={202: {"model": JobRead, "description": "accepted: the import runs as a job"}},
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
) -> JobRead:
    """Import one file of ``kind``: all rows or none (a refused file names every bad row). Up
    to the sync limit the answer (201) carries the finished job; larger uploads answer 202 at
    once and the job (``GET /jobs/{id}``) shows the progress."""
    require(actor, KIND_PERMISSION[kind])
    name = Path(file.filename or "upload").name
    suffix = "".join(s for s in Path(name).suffixes if s.lower() in SUFFIXES)[-16:]
    if not suffix and format is None:
        raise InvalidValue("cannot tell the format from the file name: pass ?format=csv|...")
    spool = Path(cfg.spool_dir) if cfg.spool_dir else None
    if spool is not None:
        spool.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="cordon-upload-", dir=spool))
    path = folder / f"upload{suffix}"
    with path.open("wb") as out:
        shutil.copyfileobj(file.file, out, 1 << 20)
    size = path.stat().st_size
    if size > MAX_BYTES:
        shutil.rmtree(folder, ignore_errors=True)
        raise InvalidValue(f"the file is larger than {MAX_BYTES >> 30} GiB")

    task = ImportTask(
        path=str(path),
        filename=name,
        kind=kind.value,
        who=Who.of(actor),
        zone=cfg.timezone,
        fmt=format,
    )
    if size <= cfg.sync_import_bytes:
        return job_read(jobs.run_here(task, owner=actor.name))
    response.status_code = status.HTTP_202_ACCEPTED
    return job_read(jobs.submit(task, owner=actor.name))
