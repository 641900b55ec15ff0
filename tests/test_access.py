"""Role mapping: identity-token claims to manager, board or partner (yj_metrics.access)."""
from __future__ import annotations

import pytest

from yj_metrics.access import RuleError, make_rule, resolve, rules_from_csv

RULES = [
    make_rule("group", "yj-managers", "manager"),
    make_rule("group", "yj-board", "board"),
    make_rule("domain", "police.example.uk", "partner", "Police"),
    make_rule("email", "chair@council.example.uk", "board"),
    make_rule("email", "Analyst@Police.Example.UK", "manager", service="north"),
]


def test_group_claim_maps_and_the_most_senior_group_wins():
    g = resolve({"sub": "1", "email": "a@council.example.uk", "groups": ["yj-board", "yj-managers"]}, RULES)
    assert g.role == "manager"
    assert resolve({"sub": "2", "groups": ["yj-board"]}, RULES).role == "board"
    # Entra app roles arrive in a "roles" claim
    assert resolve({"sub": "3", "roles": ["yj-board"]}, RULES).role == "board"


def test_email_beats_group_beats_domain():
    g = resolve({"email": "chair@council.example.uk", "groups": ["yj-managers"]}, RULES)
    assert g.role == "board" and g.rule.kind == "email"
    g = resolve({"email": "pc@police.example.uk"}, RULES)
    assert (g.role, g.organisation) == ("partner", "Police")


def test_service_scoped_rules_apply_only_to_their_service():
    who = {"email": "analyst@police.example.uk"}
    assert resolve(who, RULES, service="").role == "partner"  # the domain rule: the north rule does not apply
    g = resolve(who, RULES, service="north")
    assert g.role == "manager" and g.service == "north"
    assert resolve(who, RULES, service="west").role == "partner"


def test_unmapped_and_unverified_people_get_nothing():
    assert resolve({"sub": "x", "email": "someone@elsewhere.example"}, RULES) is None
    assert resolve({"sub": "x"}, RULES) is None
    assert resolve({"email": "chair@council.example.uk", "email_verified": False}, RULES) is None
    assert resolve({"email": "a@b.example"}, []) is None


def test_rules_from_csv_and_clear_errors():
    text = ("kind,value,role,organisation,service,note\n"
            "group,yj-managers,manager,,,\n"
            "domain,@Probation.example.uk,partner,Probation,,the whole service\n")
    rules = rules_from_csv(text, "roles.csv")
    assert [(r.kind, r.value, r.role) for r in rules] == [("group", "yj-managers", "manager"),
                                                         ("domain", "probation.example.uk", "partner")]
    with pytest.raises(RuleError, match="roles.csv line 2: role must be one of"):
        rules_from_csv("kind,value,role\nemail,a@b.example,admin\n", "roles.csv")
    with pytest.raises(RuleError, match="line 2: a partner rule needs the partner's organisation"):
        rules_from_csv("kind,value,role\ndomain,police.example.uk,partner\n", "roles.csv")
    with pytest.raises(RuleError, match="missing role"):
        rules_from_csv("kind,value\nemail,a@b.example\n", "roles.csv")
