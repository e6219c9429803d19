"""aigate.yaml: where a production keeps its policy, approvals, stage path rules and plugins.

Found by --config, then AIGATE_CONFIG (either pins it: nothing is discovered), then walking up
from the timeline's folder. A discovered config is trusted only as far as its origin: a
delivery can carry its own aigate.yaml, so with AIGATE_TRUSTED_ROOTS set one outside those
folders is refused, and ``plugins:`` is only honoured in a pinned config or one inside a
trusted root (:func:`locate_config`). Relative paths inside a config are relative to the
file. Every key is documented in docs/config.md.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from aigate.config import globs
from aigate.config.yamlfile import Section
from aigate.errors import InputError
from aigate.model import STAGES, Stage
from aigate.trust.signing import TrustedKey, exposure, public_key_from_text

CONFIG_NAME = "aigate.yaml"
CONFIG_ENV = "AIGATE_CONFIG"
#: the site's trusted trees (os.pathsep-separated): only configs inside them are used
TRUSTED_ROOTS_ENV = "AIGATE_TRUSTED_ROOTS"
DEFAULT_POLICY = "netflix-genai"
HOOK_READ_MODES = ("report", "annotate", "off")


@dataclass(frozen=True, slots=True)
class StageRule:
    """Files whose path matches ``pattern`` are at ``stage`` (unless said otherwise)."""

    pattern: str
    stage: Stage


#: Used when a config does not list its own: deliverables are final wherever they sit.
DEFAULT_STAGE_RULES = (StageRule("**/deliverables/**", "final"), StageRule("*_FINAL*", "final"))


@dataclass(frozen=True, slots=True)
class HookSettings:
    """How the OpenTimelineIO hooks behave (see hooks/aigate_otio_hooks)."""

    on_read: str = "report"
    annotate_on_write: bool = False


@dataclass(frozen=True, slots=True)
class Remap:
    """Media paths starting with ``source`` (another machine's mount) are read under
    ``target`` here."""

    source: str
    target: str


def default_cache_path() -> Path:
    """The provenance cache when a config names none: the user's XDG cache folder."""
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "aigate" / "provenance.sqlite"


@dataclass(frozen=True, slots=True)
class MediaSettings:
    """Where media may be read from, and how paths from other machines map here."""

    roots: tuple[Path, ...] = ()
    remap: tuple[Remap, ...] = ()
    #: ``required: true`` (or ``--require-media``): a clip whose media cannot be read is a
    #: ``media-required`` finding at every stage, not only ``media-missing`` at review/final
    require: bool = False
    #: ``required: false`` with this reason: the show has no media access, so media that
    #: cannot be read are no finding and every report says provenance came from the timeline
    #: alone (empty: media are required at final, the default)
    timeline_only: str = ""


@dataclass(frozen=True, slots=True)
class PluginSettings:
    """One plugin's section of ``plugin_settings:``: as written until the plugin validated it
    (:meth:`aigate.core.plugins.Plugins.validate_settings`), then as the plugin returned it."""

    name: str
    values: Mapping[str, Any] = field(hash=False)  # a config stays hashable
    #: ``file:line`` of the section, for messages
    where: str = ""


@dataclass(frozen=True)
class Config:
    path: Path | None = None
    policy: str = DEFAULT_POLICY
    approvals: Path | None = None
    show: str | None = None
    episode: str | None = None
    trusted_keys: tuple[TrustedKey, ...] = ()
    #: why a trusted key file can be rewritten by anyone (warned; refused at final)
    exposures: tuple[str, ...] = ()
    #: keys trusted to sign conform attestations (never the approvers' trusted_keys)
    attestation_keys: tuple[TrustedKey, ...] = ()
    stage_rules: tuple[StageRule, ...] = DEFAULT_STAGE_RULES
    plugins: tuple[str, ...] = ()
    strict_plugins: bool = False
    hooks: HookSettings = field(default_factory=HookSettings)
    media: MediaSettings = field(default_factory=lambda: MediaSettings())
    #: the provenance cache (None: off)
    cache: Path | None = field(default_factory=default_cache_path)
    #: the studio's asset ledger (YAML or CSV), a trusted provenance source
    ledger: Path | None = None
    #: path/name globs that mark media as generated (a hint)
    patterns: tuple[str, ...] = ()
    #: PEM file of C2PA trust anchors: signers chaining to one are Trusted
    c2pa_trust_anchors: Path | None = None
    #: the studio's C2PA signing certificate chain and key (PEM): a host's gated final
    #: render is stamped with Content Credentials when set (``c2pa: {signing_cert, signing_key}``)
    c2pa_signing: tuple[Path, Path] | None = None
    #: an RFC 3161 time-stamp authority's URL (``c2pa: {timestamp_url}``): the signature
    #: then proves when it was made, so it still validates after the certificate expires
    c2pa_timestamp_url: str | None = None
    #: what the deliverable's credentials disclose (``c2pa: {disclose}``): "summary" (the
    #: default: verdict, policy name and hash, counts, AI disclosure, the attestation's
    #: digest) or "full" (also timeline names, ingredient file names, the attestation)
    c2pa_disclose: str = "summary"
    #: path globs a folder check skips (like ruff's extend-exclude), e.g. "**/settings.xml"
    exclude: tuple[str, ...] = ()
    #: ``plugin_settings: {NAME: {...}}``, one section per plugin (see PluginSettings)
    plugin_settings: tuple[PluginSettings, ...] = ()
    #: ``edl: {rate: 25}``: the rate EDLs are read at (value, ``file:line``); None: detected
    edl_rate: tuple[str, str] | None = None

    def rate_for(self, given: str | None) -> tuple[str, str] | None:
        """The rate a file that does not state its own is read at: ``--rate`` (``given``),
        else this config's ``edl: {rate: ...}``."""
        return (given, "--rate") if given else self.edl_rate

    @property
    def base_dir(self) -> Path | None:
        return self.path.parent if self.path else None

    def settings_by_plugin(self) -> dict[str, Mapping[str, Any]]:
        """Each ``plugin_settings:`` section by plugin name (validated, once the gate
        has read the config: :meth:`aigate.core.plugins.Plugins.validate_settings`)."""
        return {s.name: s.values for s in self.plugin_settings}

    def stage_for_path(self, path: Path | str | None) -> str | None:
        rule = self.stage_rule_for_path(path)
        return rule.stage if rule else None

    def stage_rule_for_path(self, path: Path | str | None) -> StageRule | None:
        """The stage path rule for ``path`` (an export's output, a timeline): the first rule
        matching it, tried on the path as given (made absolute), with its symlinks resolved,
        and without regard to case (a ``Deliverables/`` folder on a case-insensitive disk is
        the same folder); of those, the one giving the highest stage, so a symlinked or
        differently-cased ``deliverables/`` is still final."""
        if path is None:
            return None
        text = str(path)
        forms = {text} if text.startswith("file:") else {
            os.path.abspath(text), str(Path(text).resolve())}
        found = [rule for form in forms for rule in (
            next((r for r in self.stage_rules if globs.match(form, r.pattern)), None),
            next((r for r in self.stage_rules
                  if globs.match(form.lower(), r.pattern.lower())), None)) if rule]
        return max(found, key=lambda r: STAGES.index(r.stage), default=None)


def load_config(path: Path, *, allow_plugins: bool = True) -> Config:
    """Read ``path``. With ``allow_plugins`` false (a config discovered outside the trusted
    roots) a non-empty ``plugins:`` is an error naming file and line: it would run code a
    delivery chose."""
    doc = Section.from_file(path)
    doc.only("policy", "approvals", "show", "episode", "trusted_keys", "attestation_keys",
             "stages", "plugins",
             "strict_plugins", "hooks", "media", "cache", "ledger", "patterns", "c2pa",
             "exclude", "plugin_settings", "edl")
    # absolute once, here: a relative --config must not have its folder joined again by
    # whoever uses a path it gives
    base = path.absolute().parent
    approvals = doc.text("approvals")
    rules = []
    for entry in doc.sections("stages"):
        entry.only("match", "stage")
        pattern = entry.text("match")
        if not pattern:
            entry.fail(f"{entry.where}: needs 'match' (a path glob)")
        rules.append(StageRule(pattern, entry.text("stage", choices=STAGES) or "final"))
    hooks = doc.section("hooks")
    if hooks is not None:
        hooks.only("on_read", "annotate_on_write")
        on_read = hooks.get("on_read", (str, bool), "report")
        if on_read is False:  # YAML reads a bare `off` as false
            on_read = "off"
        if on_read not in HOOK_READ_MODES:
            hooks.fail(f"hooks.on_read: {on_read!r} is not one of "
                       f"{', '.join(HOOK_READ_MODES)}", "on_read")
        hook_settings = HookSettings(
            on_read=on_read,
            annotate_on_write=hooks.flag("annotate_on_write", False),
        )
    else:
        hook_settings = HookSettings()
    if doc.strs("plugins") and not allow_plugins:
        doc.fail("plugins: refused: this aigate.yaml was found by walking up from the "
                 f"timeline, not inside a trusted root ({TRUSTED_ROOTS_ENV}), so it may not "
                 "load code (a delivery can carry its own aigate.yaml); pin the "
                 f"config (--config or {CONFIG_ENV}), add its folder to {TRUSTED_ROOTS_ENV}, "
                 "or name the plugin in AIGATE_PLUGINS", "plugins")
    policy = doc.text("policy", DEFAULT_POLICY)
    if policy.endswith((".yaml", ".yml")) and not Path(policy).is_absolute():
        policy = str(base / policy)
    return Config(
        path=path,
        policy=policy,
        approvals=(base / approvals) if approvals else None,
        show=doc.text("show"),
        episode=str(doc.get("episode", (str, int))) if "episode" in doc else None,
        trusted_keys=_trusted_keys(doc, base),
        exposures=_exposures(doc, base),
        attestation_keys=_trusted_keys(doc, base, "attestation_keys", "signer"),
        stage_rules=tuple(rules) if "stages" in doc else DEFAULT_STAGE_RULES,
        plugins=doc.strs("plugins"),
        strict_plugins=doc.flag("strict_plugins", False),
        hooks=hook_settings,
        media=_media(doc, base),
        cache=_cache(doc, base),
        ledger=(base / doc.text("ledger")) if doc.text("ledger") else None,
        patterns=doc.strs("patterns"),
        c2pa_trust_anchors=_c2pa(doc, base),
        c2pa_signing=_c2pa_signing(doc, base),
        c2pa_timestamp_url=_c2pa_timestamp(doc),
        c2pa_disclose=_c2pa_disclose(doc),
        exclude=doc.strs("exclude"),
        plugin_settings=_plugin_settings(doc),
        edl_rate=_edl_rate(doc),
    )


def _edl_rate(doc: Section) -> tuple[str, str] | None:
    section = doc.section("edl")
    if section is None:
        return None
    section.only("rate")
    value = section.get("rate", (str, int, float))
    return (str(value), f"{doc.path}:{section.line('rate')}") if value is not None else None


def _plugin_settings(doc: Section) -> tuple[PluginSettings, ...]:
    """The sections as written; each plugin validates its own when the gate is built."""
    section = doc.section("plugin_settings")
    if section is None:
        return ()
    return tuple(PluginSettings(name, dict(child.data), f"{doc.path}:{section.line(name)}")
                 for name, child in section.children())


def _media(doc: Section, base: Path) -> MediaSettings:
    section = doc.section("media")
    if section is None:
        return MediaSettings()
    section.only("roots", "remap", "require", "required", "reason")
    remaps = []
    for entry in section.sections("remap"):
        entry.only("from", "to")
        source, target = entry.text("from"), entry.text("to")
        if not source or not target:
            entry.fail(f"{entry.where}: needs 'from' and 'to' (path prefixes)")
        remaps.append(Remap(source, target))
    # ``require`` is the older spelling of ``required: true``
    required = section.flag("required", None)
    if required is None:
        required = True if section.flag("require", False) else None
    reason = (section.text("reason") or "").strip()
    if required is False and not reason:
        section.fail(f"{section.where}: 'required: false' needs a 'reason' (why the show has "
                     "no media access); every report repeats it")
    if reason and required is not False:
        section.fail(f"{section.where}: 'reason' goes with 'required: false' only")
    return MediaSettings(roots=tuple(base / r for r in section.strs("roots")),
                         remap=tuple(remaps), require=required is True,
                         timeline_only=reason if required is False else "")


def _cache(doc: Section, base: Path) -> Path | None:
    value = doc.get("cache", (str, bool))
    if value is None or value is True:
        return default_cache_path()
    if value is False or value == "off":  # YAML reads a bare `off` as false
        return None
    return base / Path(value).expanduser()


def _c2pa(doc: Section, base: Path) -> Path | None:
    section = doc.section("c2pa")
    if section is None:
        return None
    section.only("trust_anchors", "signing_cert", "signing_key", "timestamp_url",
                 "disclose")
    anchors = section.text("trust_anchors")
    return base / anchors if anchors else None


#: ``c2pa.disclose`` values: what a public deliverable's credentials say
DISCLOSE = ("summary", "full")


def _c2pa_timestamp(doc: Section) -> str | None:
    section = doc.section("c2pa")
    url = section.text("timestamp_url") if section else None
    if section is not None and url and not url.lower().startswith(("http://", "https://")):
        section.fail(f"c2pa.timestamp_url: {url[:80]!r} is not an http(s) URL",
                     "timestamp_url")
    return url or None


def _c2pa_disclose(doc: Section) -> str:
    section = doc.section("c2pa")
    return (section.text("disclose", choices=DISCLOSE) if section else None) or "summary"


def _c2pa_signing(doc: Section, base: Path) -> tuple[Path, Path] | None:
    section = doc.section("c2pa")
    cert, key = (section.text("signing_cert"), section.text("signing_key")) if section \
        else (None, None)
    if bool(cert) != bool(key):
        assert section is not None
        section.fail("c2pa: signing_cert and signing_key go together",
                     "signing_cert" if not cert else "signing_key")
    return (base / cert, base / key) if cert and key else None


def _exposures(doc: Section, base: Path) -> tuple[str, ...]:
    """Key files of ``trusted_keys`` and ``attestation_keys`` anyone may rewrite."""
    found = []
    for section in ("trusted_keys", "attestation_keys"):
        for entry in doc.sections(section):
            file = entry.text("file")
            said = exposure(Path(os.path.normpath(base / file)), "a trusted key file") \
                if file else None
            if said and said not in found:
                found.append(said)
    return tuple(found)


def _trusted_keys(doc: Section, base: Path, section: str = "trusted_keys",
                  who: str = "approver") -> tuple[TrustedKey, ...]:
    keys = []
    for entry in doc.sections(section):
        entry.only("key", "file", who)
        approver = entry.text(who)
        if not approver:
            entry.fail(f"{entry.where}: needs '{who}' (whose key this is)")
        text, where = entry.text("key"), f"{doc.path}:{entry.line('key')}"
        if text is None:
            file = entry.text("file")
            if not file:
                entry.fail(f"{entry.where}: needs 'key' (base64) or 'file' (a .pub file)")
            key_path = base / file
            try:
                text = key_path.read_text()
            except OSError as exc:
                entry.fail(f"{entry.where}.file: cannot read {key_path}: {exc.strerror}",
                           "file")
            where = str(key_path)
        keys.append(TrustedKey(public_key_from_text(text, where), approver))
    return tuple(keys)


def find_config(start: Path) -> Path | None:
    """The nearest aigate.yaml in ``start`` or a folder above it."""
    folder = start.resolve()
    for candidate in (folder, *folder.parents):
        path = candidate / CONFIG_NAME
        if path.is_file():
            return path
    return None


def config_path_from_env() -> Path | None:
    value = os.environ.get(CONFIG_ENV)
    return Path(value) if value else None


def trusted_roots_from_env() -> tuple[Path, ...] | None:
    """The folders AIGATE_TRUSTED_ROOTS names, resolved; None when it is not set."""
    value = os.environ.get(TRUSTED_ROOTS_ENV, "")
    roots = tuple(Path(p).expanduser().resolve() for p in value.split(os.pathsep) if p.strip())
    return roots or None


#: how a config was chosen: ``pinned`` (--config or AIGATE_CONFIG), ``trusted`` (discovered
#: inside a trusted root), ``discovered`` (AIGATE_TRUSTED_ROOTS not set), ``untrusted``
#: (discovered outside every trusted root: refused), ``none`` (no config: built-in defaults)
ConfigOrigin = Literal["pinned", "trusted", "discovered", "untrusted", "none"]


@dataclass(frozen=True, slots=True)
class ConfigSource:
    """Which aigate.yaml governs a file, and how far it is trusted."""

    path: Path | None
    origin: ConfigOrigin

    @property
    def may_load_plugins(self) -> bool:
        """Only a config the operator chose or a trusted tree holds may name code to run."""
        return self.origin in ("pinned", "trusted")

    def describe(self) -> str:
        """One phrase for reports and ``aigate doctor``."""
        return {
            "pinned": f"{self.path} (pinned by --config or {CONFIG_ENV})",
            "trusted": f"{self.path} (found by walking up, inside {TRUSTED_ROOTS_ENV})",
            "discovered": f"{self.path} (found by walking up; {TRUSTED_ROOTS_ENV} not set, "
                          "so any aigate.yaml above a timeline is used, without its plugins)",
            "untrusted": f"{self.path} (found by walking up, outside {TRUSTED_ROOTS_ENV}: "
                         "refused)",
            "none": "none: built-in defaults",
        }[self.origin]

    def refusal(self) -> InputError | None:
        """Why this config may not govern anything (fail closed), or None."""
        if self.origin != "untrusted":
            return None
        return InputError(
            f"{self.path}: config refused: it lies outside the trusted roots "
            f"({TRUSTED_ROOTS_ENV}), e.g. a delivery's own aigate.yaml; pin the config "
            f"(--config or {CONFIG_ENV}) or add its folder to {TRUSTED_ROOTS_ENV}")


def locate_config(near: Path | None, *, pinned: Path | None,
                  roots: tuple[Path, ...] | None) -> ConfigSource:
    """The one discovery rule (``check``, ``doctor``, ``plugins``, workers and hooks all come
    through here): a pinned config governs everything; else the nearest aigate.yaml at or
    above ``near`` (a file or folder), judged against the trusted ``roots``."""
    if pinned is not None:
        return ConfigSource(pinned, "pinned")
    if near is None:
        return ConfigSource(None, "none")
    found = find_config(near if near.is_dir() else near.parent)
    if found is None:
        return ConfigSource(None, "none")
    # the file itself, not a link to it: its relative paths (policy, approvals, keys) are
    # read from where it lives, never from the folder of a link a delivery planted
    real = found.resolve()
    if roots is None:
        return ConfigSource(real, "discovered")
    inside = any(real.is_relative_to(root) for root in roots)
    return ConfigSource(real, "trusted" if inside else "untrusted")
