"""APScheduler 3.x job store in the relational database, through the Django ORM.

Why not ``SQLAlchemyJobStore``: adscan already has one relational database
configured (SQLite by default, PostgreSQL at scale) and one migration system.
A job store on the ORM uses that configuration as is — no second connection
URL to keep in step, no SQLAlchemy dependency, the table is created by
``adscan migrate`` — and it is the same hundred lines as APScheduler's own.
"""

from __future__ import annotations

import pickle

from apscheduler.job import Job
from apscheduler.jobstores.base import BaseJobStore, ConflictingIdError, JobLookupError
from apscheduler.util import datetime_to_utc_timestamp, utc_timestamp_to_datetime
from django.db import IntegrityError, close_old_connections, transaction


class DjangoJobStore(BaseJobStore):
    """Jobs pickled into :class:`review_ui.operations.models.ScheduledJob` rows."""

    def __init__(self, pickle_protocol: int = pickle.HIGHEST_PROTOCOL):
        super().__init__()
        self.pickle_protocol = pickle_protocol

    @property
    def _model(self):
        from review_ui.operations.models import ScheduledJob

        return ScheduledJob

    def _dump(self, job: Job) -> bytes:
        return pickle.dumps(job.__getstate__(), self.pickle_protocol)

    def _reconstitute(self, state: bytes) -> Job:
        job_state = pickle.loads(bytes(state))
        job_state["jobstore"] = self
        job = Job.__new__(Job)
        job.__setstate__(job_state)
        job._scheduler = self._scheduler
        job._jobstore_alias = self._alias
        return job

    def _jobs(self, **filters) -> list[Job]:
        # The scheduler's own thread outlives request cycles: drop dead connections.
        close_old_connections()
        jobs, failed = [], []
        rows = self._model.objects.filter(**filters).order_by("next_run_time")
        for row_id, state in rows.values_list("id", "job_state"):
            try:
                jobs.append(self._reconstitute(state))
            except Exception:
                self._logger.exception('Unable to restore job "%s"; removing it', row_id)
                failed.append(row_id)
        if failed:
            self._model.objects.filter(id__in=failed).delete()
        return jobs

    def lookup_job(self, job_id: str) -> Job | None:
        state = self._model.objects.filter(id=job_id).values_list("job_state", flat=True).first()
        return self._reconstitute(state) if state is not None else None

    def get_due_jobs(self, now) -> list[Job]:
        return self._jobs(next_run_time__lte=datetime_to_utc_timestamp(now))

    def get_next_run_time(self):
        value = (
            self._model.objects.filter(next_run_time__isnull=False)
            .order_by("next_run_time")
            .values_list("next_run_time", flat=True)
            .first()
        )
        return utc_timestamp_to_datetime(value)

    def get_all_jobs(self) -> list[Job]:
        jobs = self._jobs()
        self._fix_paused_jobs_sorting(jobs)
        return jobs

    def add_job(self, job: Job) -> None:
        try:
            with transaction.atomic():
                self._model.objects.create(
                    id=job.id,
                    next_run_time=datetime_to_utc_timestamp(job.next_run_time),
                    job_state=self._dump(job),
                )
        except IntegrityError:
            raise ConflictingIdError(job.id) from None

    def update_job(self, job: Job) -> None:
        updated = self._model.objects.filter(id=job.id).update(
            next_run_time=datetime_to_utc_timestamp(job.next_run_time), job_state=self._dump(job)
        )
        if not updated:
            raise JobLookupError(job.id)

    def remove_job(self, job_id: str) -> None:
        deleted, _ = self._model.objects.filter(id=job_id).delete()
        if not deleted:
            raise JobLookupError(job_id)

    def remove_all_jobs(self) -> None:
        self._model.objects.all().delete()

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__}>"
