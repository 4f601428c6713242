"""Logging for rule scripts: details to the rule's log file, bad-input errors also to the
console as one clear line (no traceback), so the user sees what to fix. What the
libraries write to stderr (the harnesses' and tokenizers' progress bars, warnings) goes to
the log too, a line per update, so a long job's log shows how far it got."""

from __future__ import annotations

import io
import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr

from mlan.errors import MlanError


class StderrToLog(io.TextIOBase):
    """A file-like stderr that logs each line. A progress bar rewrites its line after a
    carriage return: those updates are logged at most every ``every`` seconds, and the
    bar's last state (ended by a newline) always."""

    def __init__(self, logger: logging.Logger, every: float = 30.0):
        self.logger, self.every = logger, every
        self.buffer, self.pending, self.last = "", None, float("-inf")

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.buffer += text
        while (end := min((i for i in (self.buffer.find("\r"), self.buffer.find("\n")) if i >= 0), default=-1)) >= 0:
            piece, separator, self.buffer = self.buffer[:end].strip(), self.buffer[end], self.buffer[end + 1 :]
            if separator == "\n":
                self.emit(piece or self.pending)
            elif piece:
                self.pending = piece
                if time.monotonic() - self.last >= self.every:
                    self.emit(piece)
        return len(text)

    def emit(self, line: str | None) -> None:
        if line:
            self.logger.info("%s", line)
            self.last = time.monotonic()
        self.pending = None

    def close(self) -> None:
        self.emit(self.buffer.strip() or self.pending)
        self.buffer = ""
        super().close()


def warn(logger: logging.Logger, message: str) -> None:
    """A warning in the log and on the console (the real stderr, not the log's)."""
    logger.warning("%s", message)
    print(f"WARNING ({logger.name.removeprefix('mlan.')}): {message}", file=sys.__stderr__)


@contextmanager
def rule_log(path: str, name: str) -> Iterator[logging.Logger]:
    logging.basicConfig(
        filename=path,
        filemode="w",
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    # "mlan." keeps the rule's logger apart from libraries' (the Hugging Face `evaluate`
    # library sets a logger named "evaluate" to WARNING on import)
    logger = logging.getLogger(f"mlan.{name}")
    stderr = StderrToLog(logging.getLogger(f"mlan.{name}.stderr"))
    try:
        with redirect_stderr(stderr):
            yield logger
    except MlanError as error:
        logger.error("%s", error)
        print(f"ERROR ({name}): {error}", file=sys.stderr)
        sys.exit(1)
    except Exception:
        logger.exception("failed")
        raise
    finally:
        stderr.close()
