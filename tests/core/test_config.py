"""The TOML run configuration: validation names the key, the effective config round-trips."""

from __future__ import annotations

from pathlib import Path

import pytest

from lean_alchemy.core.config import load_config
from lean_alchemy.core.errors import AlchemyError

SECTIONS = ("run", "refute", "corpus")


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "alchemy.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_defaults_without_file():
    cfg = load_config(None, sections=SECTIONS)
    assert cfg["refute"].samples == 96
    assert cfg["run"].run_dir == "alchemy-run"


def test_file_overrides_and_lists_become_tuples(tmp_path):
    cfg = load_config(write(tmp_path, """
[refute]
samples = 12
time_limit_s = 1
[corpus]
tier_names = ["a", "b", "c"]
"""), sections=SECTIONS)
    assert cfg["refute"].samples == 12
    assert cfg["refute"].time_limit_s == 1.0 and isinstance(cfg["refute"].time_limit_s, float)
    assert cfg["corpus"].tier_names == ("a", "b", "c")


@pytest.mark.parametrize("text, needle", [
    ("[refute]\nsampels = 3\n", "[refute] sampels"),
    ("[refute]\nsamples = \"many\"\n", "[refute] samples: must be an integer"),
    ("[refute]\nsamples = true\n", "[refute] samples: must be an integer"),
    ("[corpus]\ndedup = 1\n", "[corpus] dedup: must be true or false"),
    ("[mutant]\ndepth = 2\n", "unknown section [mutant]"),
    ("[refute\n", "not valid TOML"),
])
def test_errors_name_the_key(tmp_path, text, needle):
    with pytest.raises(AlchemyError) as e:
        load_config(write(tmp_path, text), sections=SECTIONS)
    assert needle in str(e.value)


def test_cli_overrides_are_validated_too():
    cfg = load_config(None, sections=SECTIONS)
    assert cfg.replace("refute", samples=7, seed=None)["refute"].samples == 7
    with pytest.raises(AlchemyError, match=r"\[refute\] samples"):
        cfg.replace("refute", samples="x")
    with pytest.raises(AlchemyError, match="unknown option"):
        cfg.replace("refute", nonsense=1)


def test_effective_config_round_trips(tmp_path):
    cfg = load_config(write(tmp_path, "[refute]\nseed = 5\n[corpus]\nexclude_names = [\"Foo.bar\"]\n"),
                      sections=SECTIONS)
    again = load_config(write(tmp_path, cfg.to_toml()), sections=SECTIONS)
    assert again.sections == cfg.sections
