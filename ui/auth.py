"""Who is looking, per browser session: the signed-in user's role, or local mode.

With ``[auth]`` in ``.streamlit/secrets.toml`` people sign in with the council's identity
provider (OpenID Connect through ``st.login``); their identity-token claims are mapped to a
role by the role-mapping rules in the store (``yj_metrics.access``). Someone signed in but
not mapped sees no data. ``YJ_ROLE`` is ignored then.

Without ``[auth]`` the app is in **local mode** for one person on their own computer: the role
is ``YJ_ROLE`` (default manager) and every page says "local mode: no sign-in".

Every page calls :func:`require_role` (through ``ui.page.start``) at its very top: a fresh
server's first request can run a page file directly (legacy multipage mode), skipping ``app.py``.
"""
from __future__ import annotations

import getpass
import logging
import os
from dataclasses import dataclass

import streamlit as st

from yj_metrics.access import email_of, resolve

from .fmt import md_escape

ROLES = ("manager", "board", "partner")
ROLE_LABELS = {"manager": "Service manager", "board": "Board member", "partner": "Partner"}
EVERYONE = ROLES
MANAGERS = ("manager",)
MANAGERS_AND_BOARD = ("manager", "board")
LOCAL_MODE_NOTE = "Local mode: no sign-in."

log = logging.getLogger("yj_dashboard")


@dataclass(frozen=True)
class Viewer:
    """The person in this session. ``role`` is None when they may see nothing."""

    role: str | None
    subject: str = ""
    email: str = ""
    name: str = ""
    organisation: str = ""
    service: str = ""
    local: bool = False       # no sign-in configured: one person on their own computer
    signed_in: bool = False
    misconfigured: bool = False

    @property
    def who(self) -> str:
        return self.email or self.name or self.subject

    @property
    def who_md(self) -> str:
        """``who`` for markdown: the identity provider's text is shown literally, never as markup."""
        return md_escape(self.who)


def service_name() -> str:
    """The service this deployment serves (``YJ_SERVICE``), for service-scoped role rules."""
    return os.environ.get("YJ_SERVICE", "").strip()


def sign_in_state() -> str:
    """'configured', 'local' (no [auth] section) or 'broken' (the secrets file cannot be read)."""
    try:
        from streamlit.auth_util import get_secrets_auth_section

        return "configured" if get_secrets_auth_section() else "local"
    except Exception as exc:  # a broken secrets file must not fall back to local mode (fail closed)
        log.error("cannot read .streamlit/secrets.toml: %s", type(exc).__name__)
        return "broken"


def sign_in_configured() -> bool:
    return sign_in_state() == "configured"


def partners_may_come() -> bool:
    """Can a partner open this server? Yes with sign-in (any role may sign in), or in local mode with the
    partner role; not in local mode with another role, nor when the secrets file is broken (nobody gets in)."""
    state = sign_in_state()
    return state == "configured" or (state == "local" and _local_viewer().role == "partner")


@st.cache_data(ttl=30, show_spinner=False)
def _rules(url: str, service: str) -> list:
    from .data import _store

    return _store(url).role_rules(service)


def _local_viewer() -> Viewer:
    role = os.environ.get("YJ_ROLE", "manager").strip().lower()
    try:
        user = getpass.getuser()
    except Exception:  # pragma: no cover - no user name on this system
        user = "local"
    return Viewer(role if role in ROLES else "partner", subject=f"local:{user}", local=True,
                  service=service_name())


def viewer() -> Viewer:
    """The viewer of this session (recomputed on every run; the rules are cached for 30 s)."""
    state = sign_in_state()
    if state == "local":
        return _local_viewer()
    if state == "broken":
        return Viewer(None, misconfigured=True)
    user = st.user
    if not user.is_logged_in:
        return Viewer(None)
    claims = user.to_dict()
    email = email_of(claims)
    base = dict(subject=str(claims.get("sub", "")), email=email, name=str(claims.get("name", "") or ""),
                signed_in=True, service=service_name())
    from yj_metrics.store import default_url

    grant = resolve(claims, _rules(default_url(), service_name()), service_name())
    if grant is None:
        return Viewer(None, **base)
    return Viewer(grant.role, organisation=grant.organisation, **base)


def current_role() -> str:
    """The viewer's role; anyone without one gets the most restricted role (partner)."""
    role = viewer().role
    return role if role in ROLES else "partner"


def can_see_children() -> bool:
    """Only managers see child-level rows."""
    return viewer().role == "manager"


def suppressed_view() -> bool:
    """Partners (and anyone without a role) see every figure through small-number suppression."""
    return viewer().role not in ("manager", "board")


# --------------------------------------------------------------------------- the gate

def _audit_once(key: str, action: str, v: Viewer, **detail) -> None:
    """Write an audit row once per session for ``key`` (sign-in, an unmapped person's refusal)."""
    done = st.session_state.setdefault("_yj_audited", set())
    if key in done:
        return
    from .audit import audit

    audit(action, viewer_=v, snapshot=False, **detail)
    done.add(key)


def sign_out_button(where=None) -> None:
    """A 'Sign out' button (signed-in sessions only); the sign-out is audited first."""
    v = viewer()
    if not v.signed_in:
        return
    if (where or st.sidebar).button("Sign out", icon=":material/logout:", key="sign_out"):
        from .audit import audit

        try:
            audit("sign_out", viewer_=v, snapshot=False)
        except Exception as exc:  # the sign-out itself must still happen
            from yj_metrics.errors import log_detail

            log.error("could not audit a sign-out: %s", log_detail(exc))
        st.session_state.pop("_yj_audited", None)
        st.logout()
        st.stop()


def _remote_client() -> bool:
    """True when the browser is on another computer (local mode serves this computer only, even when the
    server was started without scripts/run_app.sh's localhost binding)."""
    import ipaddress

    try:
        ip = st.context.ip_address
    except Exception:  # no client context (tests, bare mode)
        return False
    if not isinstance(ip, str) or not ip:  # None: loopback; not a string: no real client (AppTest)
        return False
    try:
        addr = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return True
    if getattr(addr, "ipv4_mapped", None):
        addr = addr.ipv4_mapped  # ::ffff:127.0.0.1 on a dual-stack server
    return not addr.is_loopback


def _sign_in_page() -> None:
    st.title("Youth justice board dashboard")
    st.write("Sign in with your council account to see the dashboard.")
    if st.button("Sign in", icon=":material/login:", type="primary", key="sign_in"):
        st.login()
    st.stop()


def _no_access_page(v: Viewer) -> None:
    _audit_once(f"unmapped:{v.subject}", "access_refused", v, reason="not mapped to a role")
    st.title("You do not have access yet")
    st.error(f"You are signed in as {v.who_md}, but your account has not been given a role on this dashboard, "
             "so it shows you no data. **Ask your service manager for access**: they can add your e-mail "
             "address or your group to the dashboard's role mapping.", icon=":material/lock:")
    sign_out_button(st)
    st.stop()


def require_role(*allowed: str, page: str = "") -> str:
    """Stop the page with a clear refusal unless the viewer's role is allowed; return the role.

    Signed-in people without a role get the "ask your service manager" page; people not signed
    in get the sign-in button. Refusals, and each session's sign-in, are written to the audit log.
    """
    v = viewer()
    if v.misconfigured:
        st.error("Sign-in is set up but its settings cannot be read, so the dashboard shows nothing. "
                 "Ask IT to check .streamlit/secrets.toml.", icon=":material/error:")
        st.stop()
    if v.local and _remote_client():
        log.warning("local mode: refused a request from another computer")
        st.error("This dashboard is in local mode (no sign-in), so it only opens on the computer it runs on. "
                 "To share it, set up sign-in (see the README).", icon=":material/lock:")
        st.stop()
    if not v.local and not v.signed_in:
        _sign_in_page()
    if v.role is None:
        _no_access_page(v)
    if v.signed_in:
        _audit_once(f"sign_in:{v.subject}", "sign_in", v)
    if v.role not in allowed:
        from .audit import audit

        audit("access_refused", viewer_=v, snapshot=False, page=page, allowed=list(allowed))
        st.error(f"Access denied: this page is for {', '.join(ROLE_LABELS[r] for r in allowed).lower()}s only. "
                 f"You are signed in as {v.who_md + ', ' if v.signed_in and v.who else ''}"
                 f"a {ROLE_LABELS[v.role].lower()}.", icon=":material/block:")
        st.markdown("[Go to the Board overview](./)")
        sign_out_button()
        st.stop()
    return v.role
