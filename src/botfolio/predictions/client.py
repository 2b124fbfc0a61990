"""HTTP client of the `botfolio predictor` role: timeouts, bounded retries, typed errors.

Transport failures, timeouts and 5xx answers are retried with exponential backoff (tenacity);
when the attempts run out the caller gets `PredictorUnavailableError` (a TemporaryError), which
`PredictionService` turns into a queued request. Refusals (4xx) are not retried.
"""

from __future__ import annotations

from typing import Any

import httpx
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from botfolio.errors import TemporaryError, ValidationFailedError
from botfolio.logs import get_logger
from botfolio.predictions.serving_types import Prediction, PredictRequest

log = get_logger(__name__)

PREDICT_PATH = "/v1/predict"


class PredictorUnavailableError(TemporaryError):
    code = "predictor_unavailable"


class _RetryableResponse(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


class PredictorClient:
    """One per process; share it. `aclose()` on shutdown."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout_seconds: float = 2.0,
        attempts: int = 3,
        max_wait_seconds: float = 1.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url, timeout=httpx.Timeout(timeout_seconds), transport=transport
        )
        self._attempts = attempts
        self._max_wait = max_wait_seconds

    async def aclose(self) -> None:
        await self._http.aclose()

    async def predict(self, request: PredictRequest) -> Prediction:
        body = request.model_dump(mode="json")
        try:
            response = await self._post_with_retries(body)
        except (httpx.TransportError, _RetryableResponse) as exc:
            raise PredictorUnavailableError(
                f"the predictor did not answer after {self._attempts} attempts: {_describe(exc)}"
            ) from exc
        if response.status_code >= 400:
            raise ValidationFailedError(
                f"the predictor refused the request: {_error_message(response)}",
                status=response.status_code,
            )
        return Prediction.model_validate(response.json())

    async def _post_with_retries(self, body: dict[str, Any]) -> httpx.Response:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._attempts),
            wait=wait_exponential(multiplier=self._max_wait / 4, max=self._max_wait),
            retry=retry_if_exception_type((httpx.TransportError, _RetryableResponse)),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                response = await self._http.post(PREDICT_PATH, json=body)
                if response.status_code >= 500:
                    raise _RetryableResponse(response)
                return response
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover


def _describe(exc: BaseException) -> str:
    if isinstance(exc, _RetryableResponse):
        return f"HTTP {exc.response.status_code} {_error_message(exc.response)}"
    return f"{type(exc).__name__}: {exc}"


def _error_message(response: httpx.Response) -> str:
    try:
        payload = response.json()
    except ValueError:
        return response.text[:200]
    error = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(error, dict):
        return str(error.get("message", ""))[:200]
    return str(payload)[:200]
