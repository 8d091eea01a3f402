"""The emulator as a product: hostile or absurd input is answered with a 4xx in the usual error envelope, and the
emulator keeps answering normally afterwards (an unbounded clock move used to break every later answer, a deeply
nested body used to answer 500)."""

import pytest

from tests.emulator.__main__ import parse_args

YEAR = 365 * 86400
MAX_ADVANCE = 100 * YEAR
MAX_OFFSET = 1000 * YEAR


def still_answers(api, emulator):
    """A normal /api request and a control request both work, in their usual shape."""
    response = api.get("/projects/" + emulator.project_id)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["id"] == emulator.project_id
    assert response.headers["Date"]
    clock = emulator.clock()
    assert set(clock) == {"now", "offsetSeconds"} and clock["now"].endswith("Z")


@pytest.mark.parametrize("raw", [
    '{"advanceSeconds": 1e308}',
    '{"advanceSeconds": 1e18}',
    '{"advanceSeconds": %d}' % (MAX_ADVANCE + 1),
    '{"advanceSeconds": Infinity}',
    '{"advanceSeconds": NaN}',
    '{"advanceSeconds": -Infinity}',
    '{"advanceSeconds": "1e308"}',
])
def test_an_absurd_clock_move_is_422_and_changes_nothing(api, emulator, raw):
    response = api.control("POST", "/clock", data=raw, headers={"Content-Type": "application/json"})
    error = api.error(response, 422)
    assert error["code"] == "validation_error" and list(error["details"]) == ["advanceSeconds"], error
    assert emulator.clock()["offsetSeconds"] == 0
    still_answers(api, emulator)


def test_the_clock_moves_at_most_a_hundred_years_at_a_time_and_a_thousand_in_all(api, emulator):
    for times in range(1, 11):
        assert emulator.advance(MAX_ADVANCE)["offsetSeconds"] == times * MAX_ADVANCE
    assert emulator.clock()["offsetSeconds"] == MAX_OFFSET
    still_answers(api, emulator)
    error = api.error(api.control("POST", "/clock", json={"advanceSeconds": 1}), 422)
    assert error["code"] == "validation_error"
    assert "1000 years" in error["details"]["advanceSeconds"] and "reset" in error["details"]["advanceSeconds"]
    assert emulator.clock()["offsetSeconds"] == MAX_OFFSET
    assert api.control("POST", "/clock", json={"advanceSeconds": 0}).status_code == 200
    still_answers(api, emulator)
    emulator.reset()
    assert emulator.clock()["offsetSeconds"] == 0


@pytest.mark.parametrize("field", ["clockStepSeconds", "provisionSeconds", "transitionSeconds", "rateWindow"])
@pytest.mark.parametrize("raw", ["1e308", "Infinity", "NaN"])
def test_absurd_config_durations_are_422(api, emulator, field, raw):
    before = emulator.config()
    response = api.control("PATCH", "/config", data='{"%s": %s}' % (field, raw), headers={"Content-Type": "application/json"})
    error = api.error(response, 422)
    assert error["code"] == "validation_error" and list(error["details"]) == [field], error
    assert emulator.config() == before
    still_answers(api, emulator)


@pytest.mark.parametrize("opening, closing", [("[", "]"), ('{"a":', "}")])
@pytest.mark.parametrize("depth", [64, 200000])
def test_a_deeply_nested_body_is_400(api, emulator, opening, closing, depth):
    """Nesting inside the body object: 65 levels in all (one too many) and 200,000 (RecursionError, a 500 before)."""
    nested = opening * depth + "1" + closing * depth
    bodies = {
        ("POST", "/instances"): '{"projectId": %s}' % nested,
        ("POST", "/ssh-keys"): '{"publicKey": %s}' % nested,
    }
    for (method, path), raw in bodies.items():
        headers = {"Content-Type": "application/json", "Idempotency-Key": "deep-%d%s" % (depth, path)}
        response = api.request(method, path, data=raw, headers=headers)
        error = api.error(response, 400)
        assert error == {"code": "bad_request",
                         "message": "the request body nests arrays and objects more than 64 levels deep"}, error
    control = api.control("POST", "/clock", data='{"advanceSeconds": %s}' % nested,
                          headers={"Content-Type": "application/json"})
    assert api.error(control, 400)["code"] == "bad_request"
    still_answers(api, emulator)


def test_a_body_nested_within_the_limit_is_parsed_as_usual(api, emulator):
    """Nesting up to the limit (64 levels, the body itself being the first) is JSON like any other: here a wrong
    type, named as usual (422); brackets inside strings are not nesting."""
    nested = "[" * 63 + '"[[[{{{"' + "]" * 63
    error = api.error(api.post("/ssh-keys", data='{"projectId": %s}' % nested,
                               headers={"Content-Type": "application/json"}), 422)
    assert error["code"] == "validation_error" and "projectId" in error["details"]
    still_answers(api, emulator)


@pytest.mark.parametrize("option", ["--rate-window", "--provision-seconds", "--transition-seconds", "--clock-step"])
@pytest.mark.parametrize("value", ["inf", "nan", "1e308"])
def test_absurd_durations_on_the_command_line_are_refused(capsys, option, value):
    with pytest.raises(SystemExit) as exited:
        parse_args([option, value])
    assert exited.value.code == 2
    assert "must be finite and at most %d seconds (100 years)" % MAX_ADVANCE in capsys.readouterr().err
    assert parse_args([option, str(MAX_ADVANCE)])
