"""The error type of the emulator and the helpers that build the standard error answers."""

from typing import Any, Dict, Optional

STATUS_CODES = {
    400: "bad_request",
    401: "invalid_api_key",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    409: "conflict",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}

STATUS_MESSAGES = {
    429: "too many requests",
    500: "internal server error",
    502: "bad gateway",
    503: "service temporarily unavailable",
    504: "gateway timeout",
}


def code_for_status(status: int) -> str:
    """The error code the emulator uses for a bare HTTP status."""
    return STATUS_CODES.get(status, "http_%d" % status)


def error_body(code: str, message: str, details: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """The standard error envelope."""
    error = {"code": code, "message": message}  # type: Dict[str, Any]
    if details:
        error["details"] = details
    return {"error": error}


class ApiError(Exception):
    """An error answer: raised anywhere, turned into the error envelope by the app."""

    def __init__(self, status: int, code: str, message: str, details: Optional[Dict[str, Any]] = None, headers: Optional[Dict[str, str]] = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers or {}

    def body(self) -> Dict[str, Any]:
        """The JSON body of this error."""
        return error_body(self.code, self.message, self.details)


def not_found(label: str, resource_id: str) -> ApiError:
    """404 for a resource that does not exist."""
    return ApiError(404, "not_found", "%s %s not found" % (label, resource_id))


def validation(details: Dict[str, str]) -> ApiError:
    """422 naming every bad field."""
    names = ", ".join(sorted(details))
    return ApiError(422, "validation_error", "invalid request: %s" % names, details)


def conflict(message: str, details: Optional[Dict[str, Any]] = None, code: str = "conflict") -> ApiError:
    """409 for a request that clashes with the current state."""
    return ApiError(409, code, message, details)


def bad_request(message: str) -> ApiError:
    """400 for a body that is not a JSON object."""
    return ApiError(400, "bad_request", message)
