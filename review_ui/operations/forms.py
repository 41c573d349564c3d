"""Forms of the operations app: a source, validated against its site profile."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from review_ui.operations import schedules
from review_ui.operations.choices import ScheduleKind
from review_ui.operations.launcher import PROJECT_ROOT, resolve_profile_path
from review_ui.operations.models import Source

# The labels of the operations app's choices (choices.py), for the catalogue: the
# pages translate them when shown.
CHOICE_LABELS = (
    gettext_noop("cron expression"), gettext_noop("fixed interval"), gettext_noop("queued"),
    gettext_noop("running"), gettext_noop("succeeded"), gettext_noop("failed"),
    gettext_noop("timed out"), gettext_noop("skipped"), gettext_noop("schedule"),
    gettext_noop("run now"), gettext_noop("retry"),
)  # fmt: skip


def profile_choices() -> list[tuple[str, str]]:
    """The committed site profiles, as paths relative to the project."""
    try:
        from crawler.profiles import iter_profile_paths
    except ImportError:
        return []
    out = []
    for name, path in iter_profile_paths():
        try:
            shown = str(path.resolve().relative_to(PROJECT_ROOT))
        except ValueError:
            shown = str(path)
        out.append((shown, f"{name} ({shown})"))
    return out


def check_profile(text: str, fname: str) -> Any:
    """Validate profile YAML with the crawler's own rules; returns the profile
    (or the parsed mapping when the crawler package is not importable)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise forms.ValidationError(
            _("%(file)s: not valid YAML (%(error)s); fix the text.") % {"file": fname, "error": exc}
        ) from None
    try:
        from crawler.exceptions import ProfileError
        from crawler.profiles import parse_profile
    except ImportError:
        if not isinstance(data, dict):
            raise forms.ValidationError(
                _("%(file)s: expected a mapping of profile keys.") % {"file": fname}
            ) from None
        return data
    try:
        return parse_profile(data, fname)
    except ProfileError as exc:
        raise forms.ValidationError(str(exc)) from None


def _profile_name(profile: Any) -> str | None:
    return profile.get("name") if isinstance(profile, dict) else getattr(profile, "name", None)


class SourceForm(forms.ModelForm):
    """Add or edit a source. The profile is a committed file or pasted YAML;
    either is validated, and the source is named like its profile."""

    # Local demo sites and test servers speak plain http.
    base_url = forms.URLField(
        required=False,
        assume_scheme="http",
        label=gettext_lazy("Base URL"),
        help_text=gettext_lazy("overrides the profile's base URL"),
    )

    class Meta:
        model = Source
        fields = [
            "name", "profile_path", "profile_yaml", "base_url", "schedule_kind", "cron",
            "interval_minutes", "timezone", "enabled", "time_limit_seconds", "max_retries",
            "download_delay", "concurrency", "notes",
        ]  # fmt: skip
        labels = {
            "name": gettext_lazy("Name"),
            "profile_path": gettext_lazy("Profile path"),
            "profile_yaml": gettext_lazy("Profile YAML"),
            "schedule_kind": gettext_lazy("Schedule kind"),
            "cron": gettext_lazy("Cron"),
            "interval_minutes": gettext_lazy("Interval minutes"),
            "timezone": gettext_lazy("Time zone"),
            "enabled": gettext_lazy("Enabled"),
            "time_limit_seconds": gettext_lazy("Time limit seconds"),
            "max_retries": gettext_lazy("Max retries"),
            "download_delay": gettext_lazy("Download delay"),
            "concurrency": gettext_lazy("Concurrency"),
            "notes": gettext_lazy("Notes"),
        }
        help_texts = {
            "profile_path": gettext_lazy(
                "a site profile under crawler/profiles/ (relative to the project) or an absolute path"
            ),
            "profile_yaml": gettext_lazy("or the profile itself, as YAML"),
            "cron": gettext_lazy("minute hour day month weekday"),
            "time_limit_seconds": gettext_lazy("a crawl running longer is killed"),
            "max_retries": gettext_lazy(
                "retries after a failed or timed-out crawl, with growing waits"
            ),
            "download_delay": gettext_lazy("seconds between requests"),
            "concurrency": gettext_lazy("parallel requests to the site"),
        }
        widgets = {
            "profile_yaml": forms.Textarea(attrs={"rows": 12, "spellcheck": "false"}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["profile_yaml"].strip = False  # keep the YAML exactly as written
        self.fields["name"].required = False
        self.fields["name"].help_text = _("defaults to the profile's name")
        self.fields["schedule_kind"].choices = [
            (value, _(label)) for value, label in self.fields["schedule_kind"].choices
        ]
        choices = profile_choices()
        if choices:
            self.fields["profile_path"].widget = forms.Select(choices=[("", "—"), *choices])
            current = self.initial.get("profile_path")
            if current and current not in dict(choices):
                self.fields["profile_path"].widget.choices.append((current, current))

    def clean_timezone(self) -> str:
        value = self.cleaned_data["timezone"].strip()
        try:
            schedules.parse_timezone(value)
        except schedules.ScheduleError as exc:
            raise forms.ValidationError(str(exc)) from None
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        self._clean_schedule(data)
        self._clean_profile(data)
        return data

    def _clean_schedule(self, data: dict[str, Any]) -> None:
        kind = data.get("schedule_kind")
        if kind == ScheduleKind.CRON:
            cron = " ".join((data.get("cron") or "").split())
            data["cron"] = cron
            if not cron:
                self.add_error(
                    "cron", _("Give a cron expression such as '0 3 * * *' (every day at 03:00).")
                )
            elif "timezone" in data:
                try:
                    schedules.cron_trigger(cron, data["timezone"])
                except schedules.ScheduleError as exc:
                    self.add_error("cron", str(exc))
        elif kind == ScheduleKind.INTERVAL and not data.get("interval_minutes"):
            self.add_error("interval_minutes", _("Give the interval in minutes (1 or more)."))

    def _clean_profile(self, data: dict[str, Any]) -> None:
        path, text = (data.get("profile_path") or "").strip(), data.get("profile_yaml") or ""
        data["profile_path"] = path
        if path and text.strip():
            self.add_error("profile_yaml", _("Give a profile file or profile text, not both."))
            return
        if text.strip():
            field, fname = "profile_yaml", _("profile text")
        elif path:
            field, fname = "profile_path", Path(path).name
            try:
                text = resolve_profile_path(path).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                self.add_error(
                    field,
                    _("Profile file '%(path)s' cannot be read (%(error)s); check the path.")
                    % {"path": path, "error": exc.__class__.__name__},
                )
                return
        else:
            self.add_error("profile_path", _("Choose a site profile or paste one below."))
            return
        try:
            profile = check_profile(text, fname)
        except forms.ValidationError as exc:
            self.add_error(field, exc)
            return
        profile_name = _profile_name(profile)
        name = data.get("name") or ""
        if not name and profile_name:
            data["name"] = profile_name
            if Source.objects.filter(name=profile_name).exclude(pk=self.instance.pk).exists():
                self.add_error(
                    "name",
                    _("A source named '%(name)s' exists already; edit that one.")
                    % {"name": profile_name},
                )
        elif profile_name and name != profile_name:
            self.add_error(
                "name",
                _(
                    "Profile %(file)s is for source '%(name)s'; name this source '%(name)s' "
                    "or change the profile's name."
                )
                % {"file": fname, "name": profile_name},
            )
        if not data.get("name"):
            self.add_error("name", _("Give the source a name."))
