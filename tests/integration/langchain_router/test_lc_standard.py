"""LangChain's standard chat-model test suites, run on RouterChatModel with fake children.

The children are ``FakeToolChatModel``s: deterministic, offline, with ``bind_tools``,
structured output, streaming and usage metadata. Routing uses the real bundled default
router. The multimodal tests download sample files with ``httpx.get``; sockets are off, so
they get tiny canned files instead (the fakes ignore media; the router must route past it).

Skips left, each decided by the suite itself:
- ``test_init_from_env``: RouterChatModel reads no environment variables (its children do).
- ``test_serdes``: not serializable, by design: it holds live child models (which may hold
  credentials) and a ``core.Router``.
- ``test_stream_time``: a VCR benchmark of recorded HTTP traffic; the router and its fake
  children make no HTTP calls to record.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from langchain_tests.integration_tests import ChatModelIntegrationTests
from langchain_tests.unit_tests import ChatModelUnitTests

from fake_chat_model import FakeToolChatModel

from langchain_router import RouterChatModel

_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
_WAV = b"RIFF$\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00D\xac\x00\x00\x88X\x01\x00\x02\x00\x10\x00data\x00\x00\x00\x00"


class _CannedResponse:
    def __init__(self, content: bytes) -> None:
        self.content = content


def _canned_get(url: str, **_: Any) -> _CannedResponse:
    """Stands in for ``httpx.get`` in the suites' sample downloads (no network in tests)."""
    for suffix, content in ((".png", _PNG), (".pdf", _PDF), (".wav", _WAV)):
        if url.endswith(suffix):
            return _CannedResponse(content)
    raise AssertionError(f"unexpected download in a standard test: {url}")


def _params() -> dict[str, Any]:
    # core is left unset: the shared default router (seeded by conftest with the session's).
    return {
        "strong": FakeToolChatModel(model_name="fake-strong"),
        "weak": FakeToolChatModel(model_name="fake-weak"),
    }


class TestRouterChatModelUnit(ChatModelUnitTests):
    @property
    def chat_model_class(self) -> type[RouterChatModel]:
        return RouterChatModel

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return _params()

    @property
    def model_override_value(self) -> str:
        return "fake-weak"


class TestRouterChatModelIntegration(ChatModelIntegrationTests):
    @pytest.fixture(autouse=True)
    def _offline_samples(self, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
        monkeypatch.setattr(httpx, "get", _canned_get)
        monkeypatch.setenv("LANGCHAIN_TESTS_USER_AGENT", "winroute-tests")
        yield

    @property
    def chat_model_class(self) -> type[RouterChatModel]:
        return RouterChatModel

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return _params()

    @property
    def model_override_value(self) -> str:
        # Forces the weak route; the answer's model_name is the weak child's.
        return "fake-weak"

    @property
    def supports_json_mode(self) -> bool:
        # method="json_mode" goes through each child's own with_structured_output.
        return True

    @property
    def supports_anthropic_inputs(self) -> bool:
        # Content blocks pass through the router untouched; the fakes accept them.
        return True

    # Media parts are ignored for routing and passed to the child as they are.
    @property
    def supports_image_inputs(self) -> bool:
        return True

    @property
    def supports_image_urls(self) -> bool:
        return True

    @property
    def supports_pdf_inputs(self) -> bool:
        return True

    @property
    def supports_audio_inputs(self) -> bool:
        return True

    @property
    def supports_image_tool_message(self) -> bool:
        return True

    @property
    def supports_pdf_tool_message(self) -> bool:
        return True
