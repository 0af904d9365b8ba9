"""The printable kinds and their titles: a leaf table (imports only app.core.i18n), so that the CLI parser,
the audit log's readable details and the menus can name a kind without loading the renderer.

The kind list is the contract of ``xueji print KIND`` (docs/cli.md, "Printing and certificates")."""
from __future__ import annotations

from app.core.i18n import Names

CERT_KINDS = ("diploma", "completion-certificate", "incomplete-certificate", "study-certificate",
              "education-certificate")
KINDS = CERT_KINDS + ("basic-info-form", "class-roster", "new-student-roster", "graduate-roster", "change-register",
                      "hs-registration-approval", "hs-registration-register", "folder-label", "folder-contents",
                      "calibration-sheet", "issuance-register", "change-form")
# What the renderer makes of each kind: one document per student, one list, one form per status change.
STUDENT_KINDS = CERT_KINDS + ("basic-info-form", "folder-label", "folder-contents")
LIST_KINDS = ("class-roster", "new-student-roster", "graduate-roster", "change-register",
              "hs-registration-approval", "hs-registration-register", "issuance-register")
EVENT_KINDS = ("change-form",)
# How the print menu offers them: per student, per class, per school year.
CLASS_KINDS = STUDENT_KINDS + ("class-roster",)
YEAR_KINDS = ("new-student-roster", "graduate-roster", "change-register", "hs-registration-approval",
              "hs-registration-register", "issuance-register")

KIND_TITLES = Names({
    "diploma": "cert.kind.diploma", "completion-certificate": "cert.kind.completion",
    "incomplete-certificate": "cert.kind.incomplete", "study-certificate": "cert.kind.study",
    "education-certificate": "cert.kind.education", "basic-info-form": "printkind.basic_info_form",
    "class-roster": "printkind.class_roster", "new-student-roster": "printkind.new_student_roster",
    "graduate-roster": "printkind.graduate_roster", "change-register": "printkind.change_register",
    "hs-registration-approval": "printkind.hs_registration_approval",
    "hs-registration-register": "printkind.hs_registration_register", "folder-label": "printkind.folder_label",
    "folder-contents": "printkind.folder_contents", "calibration-sheet": "printkind.calibration_sheet",
    "issuance-register": "printkind.issuance_register", "change-form": "printkind.change_form",
})
