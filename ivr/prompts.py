"""The prompt catalogue of voice_prompts/: Spanish text by id, and recorded files."""

from __future__ import annotations

import tomllib
import wave
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ivr.domain.text import fill

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "voice_prompts"
AUDIO_SUFFIXES = (".mp3", ".wav")


@dataclass(frozen=True)
class Catalogue:
    """Prompt texts, speech hints and the recorded files that replace texts."""

    texts: dict[str, str]
    hints: dict[str, str]
    audio: dict[str, str]  # prompt id -> file name under voice_prompts/audio

    def text(self, prompt_id: str, **values) -> str:
        """The prompt's words with its placeholders filled in (no doubled full stop after a
        value that ends with one, e.g. a company called "…, C.A.")."""
        template = self.texts[prompt_id]
        return fill(template, **values) if values else template

    def audio_file(self, prompt_id: str) -> str | None:
        """The recorded file that replaces a fixed prompt, if any."""
        return self.audio.get(prompt_id)


def load_catalogue(directory: Path = PROMPTS_DIR) -> Catalogue:
    """Read prompts.toml and list recorded files once, at start-up."""
    with open(directory / "prompts.toml", "rb") as handle:
        data = tomllib.load(handle)
    texts = data["prompts"]
    audio = {}
    audio_dir = directory / "audio"
    if audio_dir.is_dir():
        for path in sorted(audio_dir.iterdir()):
            if path.suffix in AUDIO_SUFFIXES and path.stem in texts and "{" not in texts[path.stem]:
                audio[path.stem] = path.name
    return Catalogue(texts=texts, hints=data.get("hints", {}), audio=audio)


@cache
def audio_seconds(name: str, directory: Path = PROMPTS_DIR) -> float | None:
    """How long a recorded file under voice_prompts/audio plays, when its header says (WAV);
    None for other files."""
    path = directory / "audio" / name
    if path.suffix != ".wav":
        return None
    try:
        with wave.open(str(path), "rb") as audio:
            return audio.getnframes() / float(audio.getframerate())
    except (OSError, EOFError, wave.Error):
        return None
