"""The tamper-evident audit log (issue 7): every write path adds its entry in the same transaction, the hash
chain finds an edited, deleted or reordered entry and names it, the access register lists views, prints and
exports; CLI shapes and exit codes. Real archives in tmp_path; the tampering is done the way a tamperer would:
a raw sqlite3 connection that drops the append-only triggers."""
from __future__ import annotations

import json
import sqlite3

import pytest

from app import audit, paper
from app import backup as B
from app import student_service as ss
from app.cli import main
from app.errors import Refused
from db import audit as aq
from tests.helpers import birth_for_grade, cjk_name, make_id, new_class, new_school


def run(capsys, *argv):
    capsys.readouterr()
    rc = main([str(a) for a in argv])
    out, _ = capsys.readouterr()
    lines = [x for x in out.splitlines() if x.strip()]
    assert len(lines) == 1, out
    return rc, json.loads(lines[0])


@pytest.fixture
def school(tmp_path):
    sessions = []

    def make(n=3):
        s = new_school(tmp_path)
        sessions.append(s)
        cid = new_class(s, 3, code="2023031")
        s.sids = []
        for i in range(n):
            r = ss.create_student(s, {"name": cjk_name(i, "审"), "ethnicity": "汉族",
                                      "id_number": make_id(birth_for_grade(3, i), 300 + i)}, [], class_id=cid)
            s.sids.append(r.id)
        return s

    yield make
    for s in sessions:
        try:
            s.close()
        except Exception:
            pass


def n_audit(s) -> int:
    return s.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]


def n_rows(s, *tables) -> int:
    return sum(s.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables)


def tamper(s, *sql):
    """A raw connection (no xueji function), append-only triggers dropped, then ``sql`` run."""
    c = sqlite3.connect(s.archive.db_path, isolation_level=None)
    try:
        c.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        c.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
        for stmt in sql:
            c.execute(stmt)
    finally:
        c.close()


# =================================================================== chain
def test_new_archive_chain_starts_with_genesis_and_verifies(school):
    s = school()
    first = s.conn.execute("SELECT * FROM audit_log WHERE id = 1").fetchone()
    assert first["action"] == "genesis" and first["prev_hash"] == b""
    rep = audit.verify(s)
    assert rep.ok and rep.count == n_audit(s) > 1
    last = s.conn.execute("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()[0]
    assert rep.head == last.hex() and len(last) == 32
    # each entry carries the previous one's hash
    rows = s.conn.execute("SELECT prev_hash, hash FROM audit_log ORDER BY id").fetchall()
    assert all(rows[i]["prev_hash"] == rows[i - 1]["hash"] for i in range(1, len(rows)))


def test_edited_entry_is_named(school):
    s = school()
    tamper(s, "UPDATE audit_log SET actor = 'someone' WHERE id = 4")
    rep = audit.verify(s)
    assert [(f.code, f.row) for f in rep.breaks] == [("audit_edited", 4)]
    assert "第 4 条" in rep.breaks[0].message and "改动" in rep.breaks[0].message


def test_edited_entry_with_its_hash_recomputed_breaks_the_next_link(school):
    s = school()
    r = dict(s.conn.execute("SELECT * FROM audit_log WHERE id = 4").fetchone())
    new = aq.entry_hash(r["prev_hash"], 4, r["at"], "someone", r["action"], r["entity"], r["entity_id"],
                        r["student_id"], r["detail"])
    tamper(s, f"UPDATE audit_log SET actor = 'someone', hash = X'{new.hex()}' WHERE id = 4")
    rep = audit.verify(s)
    assert [(f.code, f.row) for f in rep.breaks] == [("audit_link", 5)]


def test_deleted_entry_is_named(school):
    s = school()
    tamper(s, "DELETE FROM audit_log WHERE id IN (5, 6)")
    rep = audit.verify(s)
    assert [(f.code, f.row) for f in rep.breaks if f.code != "audit_missing"] == [("audit_gap", 7)]
    assert "第 5–6 条缺失" in rep.breaks[0].message
    assert "audit_missing" in {f.code for f in rep.breaks}  # and the history rows they covered are named


def test_cut_tail_is_found_from_the_history_rows(school):
    s = school()
    last = s.conn.execute("SELECT max(id) FROM audit_log").fetchone()[0]
    tamper(s, f"DELETE FROM audit_log WHERE id > {last - 2}")
    rep = audit.verify(s)
    assert rep.breaks and {f.code for f in rep.breaks} == {"audit_missing"}
    assert any("change_history" in f.message or "status_events" in f.message for f in rep.breaks)


def test_deleted_genesis_is_named(school):
    s = school()
    tamper(s, "DELETE FROM audit_log WHERE id = 1")
    assert [(f.code, f.row) for f in audit.verify(s).breaks] == [("audit_gap", 2)]


def test_reordered_entries_are_named(school):
    s = school()
    tamper(s, "UPDATE audit_log SET id = -1 WHERE id = 3", "UPDATE audit_log SET id = 3 WHERE id = 4",
           "UPDATE audit_log SET id = 4 WHERE id = -1")
    rep = audit.verify(s)
    assert {f.row for f in rep.breaks} == {3, 4, 5}
    assert ("audit_edited", 3) in [(f.code, f.row) for f in rep.breaks]


def test_raw_connection_cannot_write_audited_tables(school):
    """Writes from outside Xueji (no hash function) cannot extend the chain: they fail."""
    s = school()
    c = sqlite3.connect(s.archive.db_path)
    try:
        with pytest.raises(sqlite3.OperationalError, match="xueji_audit_hash"):
            c.execute("INSERT INTO change_history(student_id, entity, action, changed_at) "
                      "VALUES (1, 'student', 'edit', '2026-01-01T00:00:00')")
    finally:
        c.close()


def test_audit_log_is_append_only(school):
    s = school()
    for sql in ("UPDATE audit_log SET actor = 'x' WHERE id = 1", "DELETE FROM audit_log WHERE id = 1"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            s.conn.execute(sql)


# =================================================================== write paths
def test_each_history_row_adds_one_entry_in_its_transaction(school):
    s = school(1)
    tables = ("change_history", "status_events", "rule_findings", "cert_events", "folder_loans", "backup_log")
    before, rows_before = n_audit(s), n_rows(s, *tables)
    ss.create_student(s, {"name": "审新生", "ethnicity": "汉族", "id_number": make_id(birth_for_grade(3, 9), 399)},
                      [], class_id=s.conn.execute("SELECT id FROM classes").fetchone()[0])
    assert n_audit(s) - before == n_rows(s, *tables) - rows_before > 0
    sid = s.sids[0]
    ss.edit_student(s, sid, {"phone": "13800000000"})
    e = audit.list_entries(s, student=sid, limit=1)[0]
    assert e["action"] == "change.edit" and e["actor"] == "tester" and e["detail"]["field"] == "phone"
    assert audit.list_entries(s, student=sid, kind="status")  # the enrol event
    before, rows_before = n_audit(s), n_rows(s, *tables)
    loan = paper.lend(s, sid, borrower="李老师", purpose="核对学籍", approved_by="校长", lent_on="2026-03-01",
                      due_on="2026-03-08")
    paper.return_loan(s, loan, returned_on="2026-03-05")
    got = [e["action"] for e in audit.list_entries(s, kind="folder")]
    assert got == ["folder.return", "folder.lend"]
    assert n_audit(s) - before == n_rows(s, *tables) - rows_before + 1  # + the return (an UPDATE of the loan)
    B.record(s, "check", ok=True, trigger="cli")
    assert audit.list_entries(s, limit=1)[0]["action"] == "backup.check"
    assert audit.verify(s).ok


def test_override_entry_names_the_approver(school):
    s = school(0)
    with s.transaction() as c:
        c.execute("INSERT INTO rule_findings(student_id, rule_id, article, outcome, message, decided_at, decided_by,"
                  " override_reason, approved_by, evidence_ref) VALUES (NULL, 'X.R', '第一条', 'BLOCK*', 'm',"
                  " '2026-01-01T00:00:00', 'tester', '理由', '王校长', '证明')")
    e = audit.list_entries(s, kind="override")[0]
    assert e["detail"]["approved_by"] == "王校长" and e["detail"]["rule"] == "X.R"


def test_rolled_back_action_leaves_no_entry(school):
    s = school(1)
    before = n_audit(s)
    with pytest.raises(RuntimeError):
        with s.transaction() as c:
            c.execute("INSERT INTO change_history(student_id, entity, action, changed_at) "
                      "VALUES (?, 'student', 'edit', '2026-01-01T00:00:00')", (s.sids[0],))
            audit.record_view(s, s.sids[0], where="cli", conn=c)
            assert n_audit(s) == before + 2
            raise RuntimeError("power cut")
    assert n_audit(s) == before
    with pytest.raises(Refused):
        ss.edit_student(s, s.sids[0], {"id_number": "123"})
    assert n_audit(s) == before and audit.verify(s).ok


# =================================================================== access register
def test_views_prints_exports_make_the_access_register(school, tmp_path):
    from app.exchange import export_service as ex

    s = school(2)
    ss.view_student(s, s.sids[0], where="gui")
    ex.export_students(s, tmp_path / "out.xlsx")
    reg = audit.access_register(s)
    assert [r["action"] for r in reg] == ["view", "export"]
    assert reg[0]["student_name"] == cjk_name(0, "审") and reg[0]["actor"] == "tester"
    assert reg[1]["detail"]["count"] == 2
    res = audit.write_access_register(s, tmp_path / "reg.pdf")
    assert res["entries"] == 2 and res["chain_ok"]
    import pdfplumber

    with pdfplumber.open(res["file"]) as pdf:
        text = "".join(p.extract_text() or "" for p in pdf.pages)
    assert "学籍档案查阅登记簿" in text and cjk_name(0, "审") in text and "学籍编辑窗口" in text


def test_print_adds_one_entry(school, tmp_path):
    from app import print_service as ps

    s = school(1)
    before = n_audit(s)
    ps.print_document(s, "basic-info-form", tmp_path / "f.pdf", student_ids=[s.sids[0]])
    e = audit.list_entries(s, kind="print")
    assert len(e) == 1 and e[0]["student_id"] == s.sids[0] and n_audit(s) == before + 1
    assert (tmp_path / "f.pdf").exists()


# =================================================================== CLI
def test_cli_verify_list_register(school, tmp_path, capsys):
    s = school(1)
    sid = s.sids[0]
    folder = s.folder
    s.close()
    x = ("--archive", folder, "--json")
    rc, obj = run(capsys, *x, "student", "show", sid)
    assert rc == 0
    rc, obj = run(capsys, *x, "audit", "verify")
    assert rc == 0 and obj["ok"] and obj["entries"] > 3 and len(obj["head"]) == 64
    rc, obj = run(capsys, *x, "audit", "list", "--student", sid, "--kind", "view")
    assert rc == 0 and obj["count"] == 1 and obj["entries"][0]["detail"]["where"] == "cli"
    rc, obj = run(capsys, *x, "audit", "list", "--since", "2999-01-01")
    assert rc == 0 and obj["count"] == 0
    rc, obj = run(capsys, *x, "audit", "access-register", "-o", tmp_path / "r.pdf")
    assert rc == 0 and obj["entries"] == 1 and (tmp_path / "r.pdf").exists()
    c = sqlite3.connect(folder / "archive.sqlite", isolation_level=None)
    c.execute("DROP TRIGGER audit_log_no_update")
    c.execute("UPDATE audit_log SET actor = 'x' WHERE id = 2")
    c.close()
    rc, obj = run(capsys, *x, "audit", "verify")
    assert rc == 1 and not obj["ok"]
    assert [(e["code"], e["row"]) for e in obj["errors"]] == [("audit_edited", 2)]
    assert set(obj["errors"][0]) >= {"code", "field", "row", "message", "rule", "article", "outcome"}
    rc = main(["--archive", str(folder), "audit"])
    assert rc == 2


def test_certificate_issue_and_void_are_entries(tmp_path):
    import datetime as dt

    from app import cert_service as cs
    from tests.helpers import fill_class

    s = new_school(tmp_path, sub="certs")
    with s:
        g6 = new_class(s, 6)
        sid = fill_class(s, g6, 1, 6)[0].id
        tables = ("change_history", "status_events", "rule_findings", "cert_events", "folder_loans", "backup_log")
        before, rows_before = n_audit(s), n_rows(s, *tables)
        c = cs.issue(s, "diploma", sid, issue_date=dt.date(2026, 7, 1))
        number = c["number"] if isinstance(c, dict) else c.number
        cs.void(s, number, "打印错位")
        got = [e["action"] for e in audit.list_entries(s, kind="cert")]
        assert got[:2] == ["cert.void", "cert.issue"]
        assert all(e["student_id"] == sid and e["detail"]["number"] == number
                   for e in audit.list_entries(s, kind="cert"))
        assert n_audit(s) - before == n_rows(s, *tables) - rows_before
        assert audit.verify(s).ok
