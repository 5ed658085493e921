"""The model: one chat-completion request with tools -> one reply. Over the wire (openai SDK) or from a recording.

Retries with exponential backoff on 429, 5xx, timeouts and dropped connections
(honouring Retry-After); a clear, final `ModelError` on 401/403, an unknown model,
an endpoint that refuses connections or whose host does not resolve, or when the
retries run out. Given `time_left` (the run's --timeout), no request and no backoff
outlasts the run's budget: `BudgetExhausted` is raised instead.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from recipe.accounting import BudgetExhausted, read_events


class ModelError(RuntimeError):
    """The model cannot be used (auth, unknown model, endpoint down); the message says what to fix."""


@dataclass
class ModelReply:
    """One assistant message (as a chat message dict) and the server's token counts."""

    message: dict[str, Any]
    prompt_tokens: int
    completion_tokens: int
    model: str


def _message_dict(message: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"role": "assistant", "content": message.content or ""}
    if message.tool_calls:
        out["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.function.name, "arguments": c.function.arguments}}
            for c in message.tool_calls
        ]
    return out


class OpenAIModel:
    """Chat completions with tool calls against any OpenAI-compatible endpoint."""

    def __init__(self, model: str, base_url: str | None, api_key: str, request_timeout: float = 600.0,
                 max_retries: int = 6, retry_delay: float = 1.0, max_delay: float = 60.0,
                 on_retry: Callable[[dict[str, Any]], None] = lambda info: None,
                 time_left: Callable[[], float | None] = lambda: None):
        import openai

        self.model, self.base_url, self.request_timeout, self.time_left = model, base_url, request_timeout, time_left
        self.max_retries, self.retry_delay, self.max_delay, self.on_retry = max_retries, retry_delay, max_delay, on_retry
        # The SDK's own retries are off: ours are logged and use our backoff.
        self.client = openai.OpenAI(api_key=api_key, base_url=base_url, timeout=request_timeout, max_retries=0)

    def query(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> ModelReply:
        """One completion; retries transient failures, raises ModelError on the rest."""
        import openai

        attempt = 0
        while True:
            timeout = self._request_timeout()
            try:
                response = self.client.chat.completions.create(model=self.model, messages=messages, tools=tools,
                                                               timeout=timeout)
            except (openai.RateLimitError, openai.InternalServerError, openai.APITimeoutError, openai.APIConnectionError) as exc:
                unreachable = _unreachable(exc)
                if unreachable:  # nothing listens there, or no such host: retrying cannot help
                    raise ModelError(f"cannot reach {self._where()}: {unreachable}. Start the server, or fix --base-url "
                                     "(OpenAI-compatible servers usually end in /v1)") from exc
                attempt += 1
                status = getattr(exc, "status_code", None)
                what = f"HTTP {status}" if status else type(exc).__name__
                if isinstance(exc, openai.APITimeoutError) and timeout < self.request_timeout:
                    raise BudgetExhausted(f"--timeout reached while waiting {timeout:.0f} s for {self._where()}") from exc
                if attempt > self.max_retries:
                    raise ModelError(f"the endpoint {self._where()} kept failing ({what}) after {attempt} attempts: "
                                     f"{_short(exc)}. Try again later, or check --base-url") from exc
                delay = self._delay(attempt, exc)
                left = self.time_left()
                if left is not None and delay >= left:
                    raise BudgetExhausted(f"--timeout reached: {left:.0f} s left, and the next retry after {what} "
                                          f"would wait {delay:.0f} s") from exc
                self.on_retry({"attempt": attempt, "error": what, "message": _short(exc), "sleep_s": round(delay, 3)})
                time.sleep(delay)
                continue
            except openai.AuthenticationError as exc:
                raise ModelError(f"HTTP 401 from {self._where()}: the API key was refused. Set OPENAI_API_KEY to a valid key "
                                 "for this endpoint") from exc
            except openai.PermissionDeniedError as exc:
                raise ModelError(f"HTTP 403 from {self._where()}: this key may not use model {self.model!r} "
                                 f"({_short(exc)})") from exc
            except openai.NotFoundError as exc:
                if "model" in str(exc).lower():
                    raise ModelError(f"unknown model {self.model!r} at {self._where()} ({_short(exc)}); "
                                     "pass a model the endpoint serves with --model") from exc
                raise ModelError(f"HTTP 404 from {self._where()}: check --base-url (OpenAI-compatible servers usually end in /v1)") from exc
            except openai.BadRequestError as exc:
                text = str(exc).lower()
                if "model" in text and any(w in text for w in ("not exist", "unknown", "not found", "invalid model")):
                    raise ModelError(f"unknown model {self.model!r} at {self._where()} ({_short(exc)})") from exc
                raise ModelError(f"HTTP 400 from {self._where()}: {_short(exc)}") from exc
            except openai.APIStatusError as exc:
                raise ModelError(f"HTTP {exc.status_code} from {self._where()}: {_short(exc)}") from exc
            if not response.choices:
                raise ModelError(f"{self._where()} returned no choices")
            usage = response.usage
            return ModelReply(_message_dict(response.choices[0].message), getattr(usage, "prompt_tokens", 0) or 0,
                              getattr(usage, "completion_tokens", 0) or 0, response.model or self.model)

    def _where(self) -> str:
        return self.base_url or "api.openai.com"

    def _request_timeout(self) -> float:
        """--request-timeout, cut to what is left of the run's --timeout (BudgetExhausted when nothing is)."""
        left = self.time_left()
        if left is None:
            return self.request_timeout
        if left <= 0:
            raise BudgetExhausted("--timeout reached")
        return min(self.request_timeout, left)

    def _delay(self, attempt: int, exc: Exception) -> float:
        delay = self.retry_delay * 2 ** (attempt - 1)
        response = getattr(exc, "response", None)
        retry_after = response.headers.get("retry-after") if response is not None else None
        if retry_after:
            try:
                delay = max(delay, float(retry_after))
            except ValueError:
                pass
        return min(delay, self.max_delay)


class ReplayModel:
    """Replays the assistant replies of a recorded run log (events 'response'), by position.

    A run folder whose trajectory holds no replies may hold them in `replay.jsonl` (reconstructed from its kept files);
    `rename` (`recipe.replay_edits.recorded_rename`) renames the recorded package in the files each reply writes."""

    def __init__(self, log_path: Path, rename: tuple[str, str, str, str] | None = None):
        from recipe.replay_edits import RECONSTRUCTED

        self.path = Path(log_path)
        folder = self.path if self.path.is_dir() else None
        if folder is not None:
            self.path = folder / "trajectory.jsonl"
        if not self.path.is_file():
            raise ModelError(f"--replay {log_path}: no trajectory.jsonl there; give a run folder or its trajectory.jsonl")
        self.replies = [e for e in read_events(self.path) if e["event"] == "response"]
        if not self.replies and folder is not None and (folder / RECONSTRUCTED).is_file():
            self.path = folder / RECONSTRUCTED
            self.replies = [e for e in read_events(self.path) if e["event"] == "response"]
        if not self.replies:
            raise ModelError(f"--replay {self.path}: the recording holds no model responses")
        self.rename = rename
        self.position = 0
        self.model = self.replies[0].get("model", "replay")

    def query(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> ModelReply:
        """The next recorded reply."""
        if self.position >= len(self.replies):
            raise ModelError(f"the recording {self.path} has only {len(self.replies)} responses and the run asked for more")
        event = self.replies[self.position]
        self.position += 1
        message = event["message"]
        if self.rename:
            from recipe.replay_edits import rename_message

            message = rename_message(message, self.rename)
        return ModelReply(message, event.get("prompt_tokens", 0), event.get("completion_tokens", 0), self.model)


def _unreachable(exc: BaseException) -> str | None:
    """'connection refused' or 'the host name does not resolve' when that is what the error comes from, else None."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused (nothing listens at that address)"
        if isinstance(cause, socket.gaierror):
            return f"the host name does not resolve ({cause.strerror or cause})"
        cause = cause.__cause__ or cause.__context__
    return None


def _short(exc: Exception, limit: int = 300) -> str:
    text = " ".join(str(exc).split()).rstrip(".")
    return text if len(text) <= limit else text[:limit] + "..."
