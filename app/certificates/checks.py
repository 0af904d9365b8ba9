"""Rule checks for certificates (docs/printing.md): general functions ``check(ctx, params) -> list[dict]`` whose
numbers and lists come from the rule's params (resources/rules/certificates/<profile>.toml).

The context: ``ctx.event`` is ``cert.<kind>`` (an issue) or ``cert.<kind>.reprint``; ``ctx.record`` the
student row plus ``_cert_number`` (a number typed by the registrar, e.g. the authority's) and
``_cert`` (the certificate being reprinted); ``ctx.klass`` the student's class; ``ctx.lookup`` has
``certificates(student_id, kind)`` (the valid, non-voided ones).
"""
from __future__ import annotations

from app.students import status as st
from app.certificates.names import KIND_NAMES
from app.core.i18n import tr


def _kind(ctx) -> str:
    return ctx.event.split(".")[1]


def _base(ctx) -> dict:
    kind = _kind(ctx)
    return {"name": ctx.record.get("name", ""), "status": st.name(ctx.record.get("status", "")),
            "kind_name": KIND_NAMES.get(kind, kind), "_field": tr("label.status")}


def cert_final_state(ctx, params):
    """The certificate matches the student's final state, or the student is in the last grade of the stage."""
    kind = _kind(ctx)
    states = params.get("states", {}).get(kind, [])
    status = ctx.record.get("status", "")
    if status in states:
        return []
    graduating = kind in params.get("graduating_kinds", [])
    k = ctx.klass or {}
    final_grade = params.get("final_grade", {}).get(k.get("stage"))
    if graduating and status in params.get("in_class_states", []) and final_grade is not None \
            and int(k.get("grade") or 0) == int(final_grade):
        return []
    sep = tr("common.list_sep")
    return [dict(_base(ctx), states=sep.join(st.name(s) for s in states),
                 graduating=tr("cert.rule.or_graduating_class") if graduating else "", _code="cert_final_state")]


def cert_graduated_here(ctx, params):
    if ctx.record.get("status", "") in params.get("states", ["graduated"]):
        return []
    return [dict(_base(ctx), _code="cert_not_graduated_here")]


def cert_once(ctx, params):
    """At most ``max`` valid (not voided) certificates of this kind per student."""
    if ctx.lookup is None or ctx.student_id is None:
        return []
    prior = ctx.lookup.certificates(ctx.student_id, _kind(ctx))
    if len(prior) < int(params.get("max", 1)):
        return []
    return [dict(_base(ctx), count=len(prior), numbers=tr("common.list_sep").join(c["number"] for c in prior),
                 _field=tr("cert.field.number"), _code="cert_once")]


def cert_no_reprint_after(ctx, params):
    """A reprint after the student reached one of ``states`` would be a second certificate (never reissued)."""
    if ctx.record.get("status", "") not in params.get("states", []):
        return []
    cert = ctx.record.get("_cert") or {}
    return [dict(_base(ctx), number=cert.get("number", ""), _field=tr("cert.field.number"),
                 _code="cert_no_reissue")]


def cert_needs_stamp(ctx, params):
    """Always one hit: the certificate is valid only once the bureau has stamped it (验印)."""
    return [{"_field": tr("cert.field.state"), "_code": "needs_stamp"}]


def cert_number_given(ctx, params):
    """The number must be typed from the authority's blank, not generated."""
    if (ctx.record.get("_cert_number") or "").strip():
        return []
    return [dict(_base(ctx), _field=tr("cert.field.number"), _code="cert_number_required")]


CHECKS: dict = {f.__name__: f for f in (
    cert_final_state, cert_graduated_here, cert_once, cert_no_reprint_after, cert_needs_stamp, cert_number_given,
)}
