"""`winroute label` and core.labeling against a real OpenAI-compatible HTTP server on loopback.

The server (standard library ``http.server`` in a thread) serves POST /v1/chat/completions with
``usage``; the strong and weak models answer with RouteLLM's real GSM8K responses of
gpt-4-1106-preview and Mixtral-8x7B, and the fair judge prefers the answer RouteLLM marked
correct. Only 127.0.0.1 may be reached: every other connection stays blocked by pytest-socket.
"""

from __future__ import annotations

import csv
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from core.cli import main
from core.data import DataFormatError, canonical_model
from core.evaluation.benchmarks.pairwise import load_outcomes_file
from core.labeling import (
    ChatEndpoint,
    CostMeter,
    EndpointError,
    EndpointUnreachableError,
    GradingError,
    LabelingError,
    Price,
    PriceTable,
    PromptItem,
    ResponseCache,
    RetryPolicy,
    UnparseableVerdictError,
    cache_key,
    combine_verdicts,
    comparison_row,
    exact_match,
    label_prompts,
    last_number,
    load_labels,
    number_match,
    outcome_row,
    parse_price_spec,
    parse_verdict,
    read_prompt_items,
    write_jsonl,
)

pytestmark = pytest.mark.allow_hosts(["127.0.0.1"])

STRONG = "gpt-4-1106-preview"
WEAK = "mistralai/Mixtral-8x7B-Instruct-v0.1"


# ------------------------------------------------------------------------------- real prompts


@dataclass(frozen=True)
class Gsm8kItem:
    prompt: str
    answer: str
    replies: dict[str, str]
    correct: dict[str, bool]

    @property
    def expected(self) -> float:
        """P(strong wins) implied by RouteLLM's correctness labels."""
        s, w = self.correct[STRONG], self.correct[WEAK]
        return 1.0 if s and not w else 0.0 if w and not s else 0.5


@pytest.fixture(scope="module")
def gsm8k(data_dir: Path) -> list[Gsm8kItem]:
    """10 GSM8K prompts (4 both correct, 4 only gpt-4, 2 only Mixtral) whose last-number grading
    reproduces RouteLLM's labels; the reference answer is the correct response's last number."""
    csv.field_size_limit(2**31 - 1)
    want = {"both": 4, "strong": 4, "weak": 2}
    picked: list[Gsm8kItem] = []
    with (data_dir / "routellm" / "gsm8k" / "gsm8k_responses.csv").open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            ok = {STRONG: row[STRONG] == "True", WEAK: row[WEAK] == "True"}
            if not any(ok.values()):
                continue
            replies = {m: row[f"{m}_response"].strip() for m in (STRONG, WEAK)}
            ref = last_number(replies[STRONG] if ok[STRONG] else replies[WEAK])
            if ref is None or any((last_number(replies[m]) == ref) != ok[m] for m in ok):
                continue
            kind = "both" if all(ok.values()) else "strong" if ok[STRONG] else "weak"
            if want[kind]:
                want[kind] -= 1
                answer = str(int(ref)) if ref == int(ref) else str(ref)
                picked.append(Gsm8kItem(row["prompt"], answer, replies, ok))
            if not any(want.values()):
                break
    assert len(picked) == 10
    return picked


def _items(gsm8k: list[Gsm8kItem]) -> list[PromptItem]:
    return [PromptItem(g.prompt, g.answer, f"gsm8k-{i}") for i, g in enumerate(gsm8k)]


def _write_prompts(path: Path, gsm8k: list[Gsm8kItem], answers: bool = True) -> Path:
    rows = [{"prompt": g.prompt, **({"answer": g.answer} if answers else {})} for g in gsm8k]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


# -------------------------------------------------------------------------- the fake endpoint


@dataclass
class FakeOpenAI:
    """Deterministic chat-completions server: answers, judges, failures on demand, a request log."""

    items: list[Gsm8kItem]
    fail_codes: list[int] = field(default_factory=list)  # next requests fail with these statuses
    fail_after: int | None = None  # after this many successes, every request gets a 500
    retry_after: str | None = None
    mute_prompts: set[str] = field(default_factory=set)  # the judge names no winner for these
    log: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    @property
    def ok(self) -> list[dict[str, Any]]:
        return [r for r in self.log if r["status"] == 200]

    def handle(self, body: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        with self.lock:
            entry = {"model": body.get("model"), "messages": body.get("messages"), "status": 200,
                     "params": {k: v for k, v in body.items() if k not in ("model", "messages")}}
            self.log.append(entry)
            if self.fail_codes:
                entry["status"] = self.fail_codes.pop(0)
            elif self.fail_after is not None and len(self.ok) > self.fail_after:
                entry["status"] = 500
            if entry["status"] != 200:
                headers = {"Retry-After": self.retry_after} if self.retry_after else {}
                return entry["status"], {"error": {"message": "injected failure", "type": "server_error"}}, headers
        text = self.reply(body["model"], body["messages"])
        if text is None:
            entry["status"] = 404
            return 404, {"error": {"message": f"The model `{body['model']}` does not exist", "type": "invalid_request_error"}}, {}
        usage_in = sum(len(str(m.get("content", "")).split()) for m in body["messages"])
        usage_out = len(text.split())
        return 200, {
            "id": f"chatcmpl-{len(self.log)}",
            "object": "chat.completion",
            "created": 0,
            "model": body["model"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": usage_in, "completion_tokens": usage_out, "total_tokens": usage_in + usage_out},
        }, {}

    def item_for(self, text: str) -> Gsm8kItem:
        return next(g for g in self.items if g.prompt in text)

    def reply(self, model: str, messages: list[dict[str, str]]) -> str | None:
        text = messages[-1]["content"]
        if model in (STRONG, WEAK):
            return self.item_for(text).replies[model]
        if model == "biased-judge":
            return "The first reply reads better. [[A]]"
        if model == "mute-judge":
            return "Both replies have their merits; I cannot decide."
        if model != "judge":
            return None
        item = self.item_for(text)
        if item.prompt in self.mute_prompts:
            return "Hard to say which one is better."
        strong_first = text.index(item.replies[STRONG]) < text.index(item.replies[WEAK])
        s, w = item.correct[STRONG], item.correct[WEAK]
        if s == w:
            return "Both reach the same result.\n[[C]]"
        strong_letter = "A" if strong_first else "B"
        weak_letter = "B" if strong_first else "A"
        return f"Only one reply gets the right answer.\n[[{strong_letter if s else weak_letter}]]"

    def judge_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.ok if r["model"] in ("judge", "biased-judge", "mute-judge")]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
                 "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def server(gsm8k: list[Gsm8kItem]) -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI(gsm8k)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            if self.path.rstrip("/") != "/v1/chat/completions":
                status, payload, headers = 404, {"error": {"message": f"no route {self.path}"}}, {}
            else:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                status, payload, headers = fake.handle(body)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    try:
        yield fake
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def _endpoint(url: str, sleeps: list[float] | None = None, retries: int = 3, base_delay: float = 0.5) -> ChatEndpoint:
    record = sleeps if sleeps is not None else []
    return ChatEndpoint(url, "test-key", retry=RetryPolicy(max_retries=retries, base_delay=base_delay), sleep=record.append)


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------- the judge


def test_judge_run_labels_every_prompt_with_the_right_outcome(server: FakeOpenAI, gsm8k: list[Gsm8kItem]) -> None:
    run = label_prompts(_items(gsm8k), strong=STRONG, weak=WEAK, judge="judge", endpoint=_endpoint(server.url), progress=False)
    assert [c.outcome for c in run.comparisons] == [g.expected for g in gsm8k]
    assert {(c.model_a, c.model_b, c.source) for c in run.comparisons} == {(STRONG, WEAK, "user")}
    assert [c.prompt for c in run.comparisons] == [g.prompt for g in gsm8k]
    assert run.summary.outcome_counts == {"strong": 4, "weak": 2, "tie": 4}
    assert run.summary.requests == len(server.ok) == 4 * len(gsm8k)  # two answers, two verdicts each
    assert run.details[0]["judge"] == "judge" and run.details[0]["verdicts"] == ["C", "C"]
    assert {json.dumps(r["params"]) for r in server.ok} == {'{"temperature": 0}'}


def test_each_prompt_is_judged_in_both_orders(server: FakeOpenAI, gsm8k: list[Gsm8kItem]) -> None:
    label_prompts(_items(gsm8k), strong=STRONG, weak=WEAK, judge="judge", endpoint=_endpoint(server.url), progress=False)
    judged = server.judge_requests()
    assert len(judged) == 2 * len(gsm8k)
    for g, first, second in zip(gsm8k, judged[0::2], judged[1::2]):
        for req, strong_first in ((first, True), (second, False)):
            assert req["messages"][0]["role"] == "system"
            user = req["messages"][-1]["content"]
            assert g.prompt in user
            assert (user.index(g.replies[STRONG]) < user.index(g.replies[WEAK])) is strong_first


def test_a_position_biased_judge_cancels_out_to_ties(server: FakeOpenAI, gsm8k: list[Gsm8kItem]) -> None:
    run = label_prompts(_items(gsm8k), strong=STRONG, weak=WEAK, judge="biased-judge",
                        endpoint=_endpoint(server.url), progress=False)
    assert {c.outcome for c in run.comparisons} == {0.5}
    assert all(d["verdicts"] == ["A", "A"] for d in run.details)


def test_verdict_parsing_and_combination() -> None:
    assert parse_verdict("A is wrong, B is right.\n[[B]]") == "B"
    assert parse_verdict("Format: [[A]], [[B]] or [[C]].\nDecision: [[ C ]]") == "C"  # the last one counts
    with pytest.raises(UnparseableVerdictError, match="names no winner"):
        parse_verdict("Assistant A is better.")
    assert combine_verdicts("A", "B") == 1.0  # strong shown first wins, strong shown second wins
    assert combine_verdicts("B", "A") == 0.0
    assert combine_verdicts("A", "A") == 0.5  # position bias
    assert combine_verdicts("C", "B") == 0.5


def test_judge_naming_no_winner_is_counted_skipped_and_reported(server: FakeOpenAI, gsm8k: list[Gsm8kItem]) -> None:
    server.mute_prompts = {gsm8k[1].prompt, gsm8k[5].prompt}
    run = label_prompts(_items(gsm8k), strong=STRONG, weak=WEAK, judge="judge", endpoint=_endpoint(server.url), progress=False)
    assert len(run.comparisons) == len(gsm8k) - 2
    assert [u.index for u in run.summary.unparseable] == [1, 5]
    assert gsm8k[1].prompt not in {c.prompt for c in run.comparisons}
    text = str(run.summary)
    assert "skipped 2 prompt(s): the judge named no winner" in text and "Hard to say" in text
    # a judge that never names a winner: a clear error, not a file of silent ties
    with pytest.raises(LabelingError, match="no labels: the judge 'mute-judge' named no winner"):
        label_prompts(_items(gsm8k)[:2], strong=STRONG, weak=WEAK, judge="mute-judge",
                      endpoint=_endpoint(server.url), progress=False)


# ------------------------------------------------------------------------- retries and errors


def test_rate_limits_and_server_errors_are_retried_with_exponential_backoff(server: FakeOpenAI, gsm8k: list[Gsm8kItem]) -> None:
    server.fail_codes = [429, 500, 503]
    sleeps: list[float] = []
    run = label_prompts(_items(gsm8k)[:1], strong=STRONG, weak=WEAK, judge="judge",
                        endpoint=_endpoint(server.url, sleeps, retries=3), progress=False)
    assert sleeps == [0.5, 1.0, 2.0]
    assert [r["status"] for r in server.log[:4]] == [429, 500, 503, 200]
    assert run.summary.retries == 3 and run.summary.requests == 4 and len(run.comparisons) == 1


def test_retry_after_header_is_honoured(server: FakeOpenAI) -> None:
    server.fail_codes, server.retry_after = [429], "7"
    sleeps: list[float] = []
    _endpoint(server.url, sleeps).complete(STRONG, [{"role": "user", "content": server.items[0].prompt}])
    assert sleeps == [7.0]
    assert RetryPolicy(base_delay=1, max_delay=4).delay(5, retry_after=100) == 4  # capped


def test_persistent_failure_names_the_url_after_the_retries(server: FakeOpenAI) -> None:
    server.fail_codes = [500] * 10
    sleeps: list[float] = []
    endpoint = _endpoint(server.url, sleeps, retries=2)
    with pytest.raises(EndpointError, match=rf"{server.url} kept failing for model '{STRONG}': HTTP 500 after 3"):
        endpoint.complete(STRONG, [{"role": "user", "content": "hi"}])
    assert len(server.log) == 3 and endpoint.attempts == 3 and len(sleeps) == 2


def test_client_errors_are_not_retried(server: FakeOpenAI, gsm8k: list[Gsm8kItem]) -> None:
    sleeps: list[float] = []
    with pytest.raises(EndpointError, match=r"refused the request for model 'no-such-model': HTTP 404"):
        label_prompts(_items(gsm8k)[:1], strong=STRONG, weak="no-such-model", judge="judge",
                      endpoint=_endpoint(server.url, sleeps), progress=False)
    assert sleeps == [] and [r["status"] for r in server.log] == [200, 404]


def test_unreachable_endpoint_is_a_clear_error_after_retries(gsm8k: list[Gsm8kItem]) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    sleeps: list[float] = []
    with pytest.raises(EndpointUnreachableError, match=rf"cannot reach the OpenAI-compatible endpoint at {url} .*after 3"):
        label_prompts(_items(gsm8k)[:1], strong=STRONG, weak=WEAK, judge="judge",
                      endpoint=_endpoint(url, sleeps, retries=2), progress=False)
    assert sleeps == [0.5, 1.0]


def test_unreachable_endpoint_via_cli(tmp_path: Path, gsm8k: list[Gsm8kItem], capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    prompts = _write_prompts(tmp_path / "p.jsonl", gsm8k[:2])
    code = main(["label", str(prompts), "--strong", STRONG, "--weak", WEAK, "--judge", "judge", "--base-url", url,
                 "--api-key", "k", "--retries", "0", "--out", str(tmp_path / "labels.jsonl"), "--no-progress"])
    assert code == 2
    err = capsys.readouterr().err
    assert url in err and "rerun the same command to resume" in err
    assert not (tmp_path / "labels.jsonl").exists()


def test_missing_api_key_is_a_clear_error() -> None:
    with pytest.raises(LabelingError, match="no API key for http://127.0.0.1:9/v1"):
        ChatEndpoint("http://127.0.0.1:9/v1")


def test_other_hosts_stay_blocked() -> None:
    with pytest.warns(UserWarning, match="192.0.2.1"), pytest.raises(RuntimeError, match="allowed: \"127.0.0.1\""):
        socket.create_connection(("192.0.2.1", 80), timeout=1)


# --------------------------------------------------------------------------- cache and resume


def test_interrupted_run_resumes_without_paying_twice(server: FakeOpenAI, gsm8k: list[Gsm8kItem], tmp_path: Path) -> None:
    cache_file = tmp_path / "cache.jsonl"
    server.fail_after = 4 * 3 + 2  # dies after 3 prompts and both answers of the 4th
    with ResponseCache(cache_file) as cache, pytest.raises(EndpointError, match="HTTP 500"):
        label_prompts(_items(gsm8k), strong=STRONG, weak=WEAK, judge="judge", cache=cache,
                      endpoint=_endpoint(server.url, retries=1), progress=False)
    paid_before = len(server.ok)
    assert paid_before == 14 and len(cache_file.read_text().splitlines()) == 14  # every reply cached at once

    server.fail_after = None
    with ResponseCache(cache_file) as cache:
        assert len(cache) == 14
        run = label_prompts(_items(gsm8k), strong=STRONG, weak=WEAK, judge="judge", cache=cache,
                            endpoint=_endpoint(server.url), progress=False)
    assert [c.outcome for c in run.comparisons] == [g.expected for g in gsm8k]
    assert run.summary.cache_hits == 14 and run.summary.requests == 4 * len(gsm8k) - 14
    paid = [json.dumps([r["model"], r["messages"]]) for r in server.ok]
    assert len(paid) == 4 * len(gsm8k) and len(set(paid)) == len(paid)  # nothing bought twice

    # a third run costs nothing at all
    with ResponseCache(cache_file) as cache:
        again = label_prompts(_items(gsm8k), strong=STRONG, weak=WEAK, judge="judge", cache=cache,
                              endpoint=_endpoint(server.url), progress=False)
    assert again.summary.requests == 0 and len(server.ok) == 4 * len(gsm8k)
    assert again.comparisons == run.comparisons


def test_cache_survives_a_torn_last_line_and_rejects_a_corrupt_one(tmp_path: Path) -> None:
    from core.labeling import ChatReply

    path = tmp_path / "c.jsonl"
    key = cache_key("m", [{"role": "user", "content": "q"}], {"temperature": 0})
    with ResponseCache(path) as cache:
        cache.put(key, "m", "answer", ChatReply("hello", 3, 1))
    path.write_text(path.read_text() + '{"key": "abc", "te')  # killed mid-write
    cache = ResponseCache(path)
    assert cache.get(key) == ChatReply("hello", 3, 1) and len(cache) == 1
    cache.put("k2", "m", "answer", ChatReply("again"))
    cache.close()
    assert len(ResponseCache(path)) == 2  # the torn line was cut off before appending
    path.write_text(path.read_text().rstrip("\n"))  # a whole last record without its newline is kept
    with ResponseCache(path) as cache:
        cache.put("k3", "m", "answer", ChatReply("third"))
    assert len(ResponseCache(path)) == 3
    path.write_text("not json\n" + path.read_text())
    with pytest.raises(DataFormatError, match=r"c\.jsonl, line 1: not a cache record"):
        ResponseCache(path)


def test_cli_label_resumes_after_max_prompts(server: FakeOpenAI, gsm8k: list[Gsm8kItem], tmp_path: Path, data_dir: Path,
                                             capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WINROUTE_DATA", str(data_dir))  # the price catalog for the two answer models
    prompts = _write_prompts(tmp_path / "prompts.jsonl", gsm8k, answers=False)
    out = tmp_path / "labels.jsonl"
    args = ["label", str(prompts), "--strong", STRONG, "--weak", WEAK, "--judge", "judge", "--out", str(out),
            "--base-url", server.url, "--api-key", "k", "--no-progress", "--price", "judge=1,2"]
    assert main([*args, "--max-prompts", "3"]) == 0
    assert len(server.ok) == 12 and len(out.read_text().splitlines()) == 3
    capsys.readouterr()
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "resuming: 12 cached replies" in captured.err
    assert "labeled 10 of 10 prompt(s)" in captured.out and "28 new request(s), 12 from cache" in captured.out
    assert "cost this run: $" in captured.out and "unknown" not in captured.out  # catalog prices + --price
    assert len(server.ok) == 40
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["outcome"] for r in rows] == [g.expected for g in gsm8k]
    assert set(rows[0]) >= {"prompt", "model_a", "model_b", "outcome", "source", "judge", "verdicts"}
    assert (rows[0]["model_a"], rows[0]["model_b"], rows[0]["source"]) == (STRONG, WEAK, "user")


# ------------------------------------------------------------------------------------ the cost


def test_running_cost_uses_token_usage_and_shows_unknown_prices(server: FakeOpenAI, gsm8k: list[Gsm8kItem]) -> None:
    prices = PriceTable({STRONG: Price(10.0, 30.0), WEAK: Price(0.7, 0.7)})
    run = label_prompts(_items(gsm8k)[:3], strong=STRONG, weak=WEAK, judge="judge", prices=prices,
                        endpoint=_endpoint(server.url), progress=False)
    want = 0.0
    for r in server.ok:
        if r["model"] == "judge":
            continue
        tokens_in = sum(len(m["content"].split()) for m in r["messages"])
        tokens_out = len(server.reply(r["model"], r["messages"]).split())  # type: ignore[union-attr]
        want += prices.cost(r["model"], tokens_in, tokens_out) or 0.0
    meter = run.summary.cost
    assert sum(t.usd for t in meter.new.values()) == pytest.approx(want)
    assert meter.spent().endswith(" + unknown") and meter.unpriced_models() == ["judge"]
    assert "cost unknown for judge" in str(run.summary)
    nothing_known = CostMeter(PriceTable())
    nothing_known.add("mystery", 10, 10, fresh=True)
    assert nothing_known.spent() == "unknown"  # never a made-up $0


def test_price_specs_and_catalog(data_dir: Path) -> None:
    assert parse_price_spec("openai/gpt-4o=2.5,10") == ("openai/gpt-4o", Price(2.5, 10.0))
    for bad in ("gpt-4o", "gpt-4o=2.5", "=1,2", "m=a,b", "m=-1,2"):
        with pytest.raises(ValueError, match="bad price"):
            parse_price_spec(bad)
    table = PriceTable.from_environment({"my-model": Price(1, 2)}, data_dir=data_dir)
    assert table.price(STRONG) == Price(10.0, 30.0)  # from the arena price catalog
    assert table.price("my-model") == Price(1, 2) and table.price("never-heard-of-it") is None


# ---------------------------------------------------------------------------------- golden path


def test_golden_labels_score_both_models_and_load_as_a_benchmark(server: FakeOpenAI, gsm8k: list[Gsm8kItem],
                                                                 tmp_path: Path, data_dir: Path) -> None:
    run = label_prompts(_items(gsm8k), strong=STRONG, weak=WEAK, grader="number", endpoint=_endpoint(server.url),
                        prices=PriceTable.from_environment(data_dir=data_dir), progress=False)
    assert len(server.ok) == 2 * len(gsm8k)  # answers only, no judge
    assert [c.outcome for c in run.comparisons] == [g.expected for g in gsm8k]
    out = tmp_path / "outcomes.jsonl"
    assert write_jsonl(out, (outcome_row(o) for o in run.outcomes)) == 2 * len(gsm8k)
    items = load_outcomes_file(out, STRONG, WEAK)
    assert items.strong_perf.tolist() == [float(g.correct[STRONG]) for g in gsm8k]
    assert items.weak_perf.tolist() == [float(g.correct[WEAK]) for g in gsm8k]
    assert items.strong_cost is not None and items.weak_cost is not None and items.strong_cost > items.weak_cost
    battles = load_labels(out, strong=STRONG, weak=WEAK)
    assert [(c.model_a, c.model_b) for c in battles] == [(canonical_model(STRONG), canonical_model(WEAK))] * len(gsm8k)
    assert sorted(c.outcome for c in battles) == sorted(g.expected for g in gsm8k)


def test_golden_with_a_callable_grader_and_missing_answers(server: FakeOpenAI, gsm8k: list[Gsm8kItem]) -> None:
    def says_18(response: str, reference: str) -> bool:
        return last_number(response) == 18

    run = label_prompts(_items(gsm8k)[:2], strong=STRONG, weak=WEAK, grader=says_18, endpoint=_endpoint(server.url),
                        answer_params={"temperature": None, "max_tokens": 512}, progress=False)
    assert server.ok[0]["params"] == {"max_tokens": 512}  # None leaves temperature out
    assert [o.score for o in run.outcomes[:2]] == [1.0, 1.0]  # Janet's ducks: both models say $18
    with pytest.raises(LabelingError, match=r"need a reference 'answer' for every prompt; 1 lack one \(line\(s\) 2\)"):
        label_prompts([PromptItem("q1", "1", line=1), PromptItem("q2", None, line=2)], strong=STRONG, weak=WEAK,
                      grader="exact", endpoint=_endpoint(server.url), progress=False)
    with pytest.raises(GradingError, match="returned 2"):
        label_prompts(_items(gsm8k)[:1], strong=STRONG, weak=WEAK, grader=lambda r, a: 2,
                      endpoint=_endpoint(server.url), progress=False)


def test_builtin_graders() -> None:
    assert exact_match("  The Eiffel Tower. ", "eiffel tower") == 1.0
    assert exact_match("It is the Eiffel Tower", "eiffel tower") == 0.0
    assert number_match("so she makes $1,800.00 a day", "#### 1800") == 1.0
    assert number_match("the answer is 17", "18") == 0.0 and number_match("no idea", "18") == 0.0
    with pytest.raises(GradingError, match="holds no number"):
        number_match("5", "five")


def test_cli_golden_run(server: FakeOpenAI, gsm8k: list[Gsm8kItem], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    prompts = _write_prompts(tmp_path / "prompts.jsonl", gsm8k)
    out = tmp_path / "golden.jsonl"
    assert main(["label", str(prompts), "--strong", STRONG, "--weak", WEAK, "--golden", "--grader", "number",
                 "--out", str(out), "--base-url", server.url, "--api-key", "k", "--price", f"{STRONG}=10,30",
                 "--price", f"{WEAK}=0.7,0.7"]) == 0
    captured = capsys.readouterr()
    text = captured.out
    assert "labeling: 100%" in captured.err and "cost=$" in captured.err  # the progress bar shows the running cost
    assert "mean score: strong 0.800, weak 0.600" in text and f"wrote {2 * len(gsm8k)} per-model outcomes" in text
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert set(rows[0]) >= {"prompt", "model", "score", "cost"}
    # --golden needs answers
    plain = tmp_path / "plain.txt"
    plain.write_text("What is 2+2?\n")
    assert main(["label", str(plain), "--strong", STRONG, "--weak", WEAK, "--golden", "--out", str(out),
                 "--api-key", "k"]) == 2
    assert "--golden needs a JSONL prompt file" in capsys.readouterr().err


# ------------------------------------------------------------------------- input and the loader


@pytest.mark.parametrize("name", ["empty.txt", "empty.jsonl"])
def test_empty_prompt_file_via_cli(tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / name
    empty.write_text("\n  \n")
    assert main(["label", str(empty), "--strong", "a", "--weak", "b", "--judge", "j", "--out", str(tmp_path / "o.jsonl"),
                 "--api-key", "k"]) == 2
    assert f"{empty} holds no prompts" in capsys.readouterr().err


def test_prompt_files_read_answers_and_reject_bad_lines(tmp_path: Path) -> None:
    good = tmp_path / "p.jsonl"
    good.write_text('{"prompt": "2+2?", "answer": 4, "id": "q1"}\n"bare prompt"\n')
    assert read_prompt_items(good) == [PromptItem("2+2?", "4", "q1", 1), PromptItem("bare prompt", None, None, 2)]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "ok"}\n{"answer": "4"}\n')
    with pytest.raises(DataFormatError, match=r"bad\.jsonl, line 2: expected a non-empty 'prompt'"):
        read_prompt_items(bad)


def test_load_labels_reads_both_forms_and_rejects_a_malformed_line(tmp_path: Path) -> None:
    from core.data import Comparison, Outcome

    comps = tmp_path / "comparisons.jsonl"
    write_jsonl(comps, [comparison_row(Comparison("q1", STRONG, WEAK, 1.0, "user"), judge="j", verdicts=["A", "B"]),
                        comparison_row(Comparison("q2", STRONG, WEAK, 0.5, "user"))])
    loaded = load_labels(comps)
    assert [(c.prompt, c.model_a, c.model_b, c.outcome, c.source) for c in loaded] == [
        ("q1", STRONG, "mixtral-8x7b-instruct-v0.1", 1.0, "user"),
        ("q2", STRONG, "mixtral-8x7b-instruct-v0.1", 0.5, "user"),
    ]
    outs = tmp_path / "outcomes.jsonl"
    write_jsonl(outs, [outcome_row(Outcome("q1", STRONG, 0.0, None, "user")), outcome_row(Outcome("q1", WEAK, 1.0, 0.001, "user"))])
    (battle,) = load_labels(outs, strong=STRONG, weak=WEAK)
    assert (battle.model_a, battle.outcome) == (STRONG, 0.0)

    bad = tmp_path / "bad.jsonl"
    bad.write_text(comps.read_text().splitlines()[0] + '\n{"prompt": "q", "model_a": "x", "model_b": "y", "outcome": 1.5}\n')
    with pytest.raises(DataFormatError, match=r"bad\.jsonl, line 2: Comparison\.outcome must be in \[0, 1\]"):
        load_labels(bad)
    bad.write_text('{"prompt": "q", "winner": "x"}\n')
    with pytest.raises(DataFormatError, match=r"line 1: neither a comparison .* nor an outcome"):
        load_labels(bad)
    bad.write_text('{"prompt": "q", "model": "x", "score": "high"}\n')
    with pytest.raises(DataFormatError, match=r"line 1: 'score' must be a finite number"):
        load_labels(bad)
    bad.write_text("{not json\n")
    with pytest.raises(DataFormatError, match=r"bad\.jsonl, line 1: invalid JSON"):
        load_labels(bad)
