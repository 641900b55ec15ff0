"""Who may see what: role-mapping rules from identity-token claims to a role.

A rule maps one e-mail address, one e-mail domain, or one value of a ``groups``/``roles``
claim to ``manager``, ``board`` or ``partner``; a partner rule also names the partner's
organisation. Every rule carries a ``service`` ("" means every service) so that a deployment
holding several services can scope a role to one of them.

Resolution: an e-mail rule beats a group rule, which beats a domain rule; among rules of the
same kind the most senior role wins (someone in both the managers' and the board's group is a
manager). Someone no rule matches has no access at all.
"""
from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass
from pathlib import Path

ROLES = ("manager", "board", "partner")
KINDS = ("email", "group", "domain")
_SENIORITY = {"manager": 0, "board": 1, "partner": 2}
#: claims read as group/role memberships (Entra ID sends ``groups`` and app ``roles``)
GROUP_CLAIMS = ("groups", "roles", "group", "role")
RULE_COLUMNS = ("kind", "value", "role", "organisation", "service", "note")


class RuleError(ValueError):
    """A role-mapping rule that cannot be used; the message says which and how to fix it."""


@dataclass(frozen=True)
class RoleRule:
    kind: str          # email | group | domain
    value: str         # the address, the group name or id, or the domain (without @)
    role: str          # manager | board | partner
    organisation: str = ""
    service: str = ""
    note: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Grant:
    """The outcome for one signed-in person."""

    role: str
    organisation: str
    service: str
    rule: RoleRule


def make_rule(kind, value, role, organisation="", service="", note="", where: str = "") -> RoleRule:
    """A checked, normalised rule (addresses and domains in lower case)."""
    at = f"{where}: " if where else ""
    kind = str(kind or "").strip().lower()
    value = str(value or "").strip()
    role = str(role or "").strip().lower()
    if kind not in KINDS:
        raise RuleError(f"{at}kind must be one of {', '.join(KINDS)}, not {kind!r}.")
    if not value:
        raise RuleError(f"{at}the value is empty: give an e-mail address, a group or a domain.")
    if role not in ROLES:
        raise RuleError(f"{at}role must be one of {', '.join(ROLES)}, not {role!r}.")
    if kind in ("email", "domain"):
        value = value.lower()
    if kind == "domain":
        value = value.lstrip("@")
        if "@" in value or "." not in value:
            raise RuleError(f"{at}{value!r} is not an e-mail domain (for example council.gov.uk).")
    if kind == "email" and ("@" not in value or value.startswith("@")):
        raise RuleError(f"{at}{value!r} is not an e-mail address.")
    organisation = str(organisation or "").strip()
    if role == "partner" and not organisation:
        raise RuleError(f"{at}a partner rule needs the partner's organisation (for example 'Police').")
    return RoleRule(kind, value, role, organisation, str(service or "").strip(), str(note or "").strip())


def _claim_values(claims: dict, name: str) -> list[str]:
    v = claims.get(name)
    if v is None:
        return []
    if isinstance(v, str):
        return [p for p in v.replace(",", " ").split() if p] if name in ("roles", "role") else [v]
    if isinstance(v, (list, tuple, set)):
        return [str(x) for x in v]
    return [str(v)]


def email_of(claims: dict) -> str:
    for name in ("email", "preferred_username", "upn"):
        v = claims.get(name)
        if isinstance(v, str) and "@" in v:
            return v.strip().lower()
    return ""


def resolve(claims: dict, rules: list[RoleRule], service: str = "") -> Grant | None:
    """The grant for a signed-in person's claims, or None when no rule matches.

    Only rules for ``service`` or for every service ("") apply. An e-mail or domain is only
    trusted when the provider has not said ``email_verified`` is false.
    """
    rules = [r for r in rules if r.service in ("", service)]
    email = email_of(claims)
    if claims.get("email_verified") is False:
        email = ""
    groups = {g for name in GROUP_CLAIMS for g in _claim_values(claims, name)}
    domain = email.rsplit("@", 1)[1] if "@" in email else ""
    for kind, test in (("email", lambda r: bool(email) and r.value == email),
                       ("group", lambda r: r.value in groups),
                       ("domain", lambda r: bool(domain) and r.value == domain)):
        hits = [r for r in rules if r.kind == kind and test(r)]
        if hits:
            best = min(hits, key=lambda r: (_SENIORITY[r.role], r.service == ""))
            return Grant(best.role, best.organisation, best.service or service, best)
    return None


def rules_from_csv(text: str, source: str = "the mapping file") -> list[RoleRule]:
    """Rules from CSV text with columns kind, value, role[, organisation, service, note]."""
    reader = csv.DictReader(io.StringIO(text))
    fields = [f.strip().lower() for f in (reader.fieldnames or [])]
    missing = [c for c in ("kind", "value", "role") if c not in fields]
    if missing:
        raise RuleError(f"{source}: the header must have columns kind, value, role (and optionally "
                        f"organisation, service, note); missing {', '.join(missing)}.")
    out = []
    for n, row in enumerate(reader, start=2):
        row = {str(k).strip().lower(): v for k, v in row.items() if k is not None}
        if not any((v or "").strip() for v in row.values()):
            continue
        out.append(make_rule(row.get("kind"), row.get("value"), row.get("role"), row.get("organisation"),
                             row.get("service"), row.get("note"), where=f"{source} line {n}"))
    return out


def rules_from_file(path: str | Path) -> list[RoleRule]:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise RuleError(f"Cannot read the role-mapping file {p}: {exc.strerror or exc}.") from None
    return rules_from_csv(text, source=str(p))
