"""Operator pages: sources, their runs and the health of the crawl side.

Reading needs ``view_operations``; every change needs ``operate`` and is
written to the audit log.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from review_ui.accounts import audit
from review_ui.accounts.roles import role_required
from review_ui.operations import launcher
from review_ui.operations.choices import RunState
from review_ui.operations.describe import describe_schedule
from review_ui.operations.forms import SourceForm
from review_ui.operations.health import health_report
from review_ui.operations.models import CrawlRun, Source
from review_ui.operations.present import next_run_times

AUDITED_FIELDS = SourceForm.Meta.fields


def _source(name: str) -> Source:
    try:
        return Source.objects.get(name=name)
    except Source.DoesNotExist:
        raise Http404(_("Source not found")) from None


def _words(source: Source) -> str:
    return describe_schedule(source.schedule_kind, source.cron, source.interval_minutes)


def _snapshot(source: Source) -> dict[str, Any]:
    return {f: getattr(source, f) for f in AUDITED_FIELDS}


@role_required("view_operations")
def source_list(request):
    sources = list(Source.objects.all())
    nexts = next_run_times(sources)
    rows = [
        {"source": s, "next_run": nexts.get(s.name), "last_run": s.last_run, "schedule": _words(s)}
        for s in sources
    ]
    return render(request, "operations/source_list.html", {"rows": rows})


@role_required("view_operations")
def source_detail(request, name: str):
    source = _source(name)
    runs = Paginator(source.runs.all(), 25).get_page(request.GET.get("page"))
    return render(
        request,
        "operations/source_detail.html",
        {
            "source": source,
            "next_run": next_run_times([source]).get(source.name),
            "runs": runs,
            "schedule": _words(source),
        },
    )


@role_required("operate")
def source_add(request):
    form = SourceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        source = form.save()
        audit.record(request, "source.create", "source", source.name, details=_snapshot(source))
        messages.success(
            request,
            _("Source %(name)s added; the scheduler picks it up within a minute.")
            % {"name": source.name},
        )
        return redirect(source)
    return render(request, "operations/source_form.html", {"form": form, "source": None})


@role_required("operate")
def source_edit(request, name: str):
    source = _source(name)
    before = _snapshot(source)
    form = SourceForm(request.POST or None, instance=source)
    if request.method == "POST" and form.is_valid():
        source = form.save()
        after = _snapshot(source)
        changed = {k: [before[k], after[k]] for k in AUDITED_FIELDS if before[k] != after[k]}
        if changed:
            audit.record(
                request, "source.update", "source", source.name, details={"changed": changed}
            )
            messages.success(
                request,
                _("Source %(name)s saved; the scheduler picks it up within a minute.")
                % {"name": source.name},
            )
        return redirect(source)
    return render(request, "operations/source_form.html", {"form": form, "source": source})


def _set_enabled(request, name: str, enabled: bool):
    source = _source(name)
    if source.enabled != enabled:
        source.enabled = enabled
        source.save(update_fields=["enabled", "updated_at"])
        audit.record(
            request, "source.enable" if enabled else "source.disable", "source", source.name
        )
    done = _("Source %(name)s enabled.") if enabled else _("Source %(name)s disabled.")
    messages.success(request, done % {"name": source.name})
    return redirect(request.POST.get("next") or source.get_absolute_url())


@require_POST
@role_required("operate")
def source_enable(request, name: str):
    return _set_enabled(request, name, True)


@require_POST
@role_required("operate")
def source_disable(request, name: str):
    return _set_enabled(request, name, False)


@require_POST
@role_required("operate")
def source_run(request, name: str):
    source = _source(name)
    run = launcher.queue_run(source, requested_by=request.user.get_username())
    audit.record(request, "source.run", "source", source.name, details={"run_id": run.run_id})
    messages.success(
        request,
        _("Crawl %(run)s queued; the scheduler starts it within a minute.") % {"run": run.run_id},
    )
    return redirect(run)


@role_required("view_operations")
def run_list(request):
    runs = CrawlRun.objects.select_related("source")
    source, state = request.GET.get("source", ""), request.GET.get("state", "")
    if source:
        runs = runs.filter(source__name=source)
    if state:
        runs = runs.filter(state=state)
    page = Paginator(runs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "operations/run_list.html",
        {"runs": page, "source": source, "state": state, "states": RunState.choices,
         "sources": Source.objects.values_list("name", flat=True)},
    )  # fmt: skip


@role_required("view_operations")
def run_detail(request, run_id: str):
    try:
        run = CrawlRun.objects.select_related("source").get(run_id=run_id)
    except CrawlRun.DoesNotExist:
        raise Http404(_("Crawl run not found")) from None
    return render(request, "operations/run_detail.html", {"run": run})


@role_required("view_operations")
def health(request):
    return render(request, "operations/health.html", health_report())
