"""The load test's HTTP users: they speak Gradio's REST API (POST, then the event stream) and count an answer
other than the single user's, an error event or a broken stream as errors."""
import json

import httpx

from bench.load_test import http_load

ANSWER = {"answer": "It is 42 [1].", "citations": [], "hits": []}


def gradio_like(answer_for, event="complete"):
    """A transport answering /gradio_api/call/ask as Gradio does: an event id, then an event stream."""
    posted = {}

    def handle(request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path == "/gradio_api/call/ask":
            question = json.loads(request.content)["data"][0]
            event_id = f"e{len(posted)}"
            posted[event_id] = question
            return httpx.Response(200, json={"event_id": event_id})
        event_id = request.url.path.rsplit("/", 1)[1]
        body = f"event: {event}\ndata: {json.dumps([answer_for(posted[event_id])])}\n\n"
        return httpx.Response(200, text=body, headers={"content-type": "text/event-stream"})

    return httpx.MockTransport(handle), posted


def test_http_users_ask_the_rotating_questions_and_time_each_answer():
    transport, posted = gradio_like(lambda question: ANSWER)
    results, elapsed, fewest = http_load("http://app", ["q1", "q2"], {"q1": ANSWER, "q2": ANSWER}, users=3,
                                         seconds=0.2, transport=transport)
    assert results.errors == [] and len(results.latencies) == len(posted) > 0 and elapsed >= 0.2
    assert fewest >= 1 and set(posted.values()) == {"q1", "q2"}


def test_an_answer_other_than_the_single_users_is_an_error():
    transport, _ = gradio_like(lambda question: {**ANSWER, "answer": f"changed for {question}"})
    results, _, _ = http_load("http://app", ["q1"], {"q1": ANSWER}, users=1, seconds=0.05, transport=transport)
    assert results.latencies == [] and results.errors
    assert all(error == "answer to 'q1' differs from the single user's" for error in results.errors)


def test_an_error_event_is_an_error():
    transport, _ = gradio_like(lambda question: None, event="error")
    results, _, _ = http_load("http://app", ["q1"], {}, users=1, seconds=0.05, transport=transport)
    assert results.latencies == [] and results.errors[0].startswith("RuntimeError: the app answered with an error")


def test_the_target_line_judges_the_http_users_p95_and_errors():
    from bench.load_test import Measured, target_line

    def app(p95: str, errors: int) -> Measured:
        measured = Measured("main")
        measured.rows = [["main", "baseline", 1, 40, 40, 0, "73", "2000", "92", "9.9"],
                         ["main", "load, HTTP users", 30, 900, 29, errors, "791", p95, "1661", "35.2"]]
        return measured

    assert target_line([app("1277", 0)]).endswith("main: p95 1277 ms with 30 HTTP users, 0 errors, met.")
    assert target_line([app("1501", 0)]).endswith("not met.")
    assert target_line([app("900", 2)]).endswith("2 errors, not met.")
