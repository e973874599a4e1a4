"""`advisor fill`: each config family filled as a user would see it, byte for byte."""

import json
import os
import shutil
import stat
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisor.setup import fields
from advisor import fill as filler
from advisor.errors import AdvisorError

CONFIGS = Path(__file__).parent / "fixtures" / "configs"
GOLDEN_SETUP = ["--gpu", "a10g", "--model-params", "350M", "--batch-size", "32", "--global-batch-size", "128",
                "--seq-len", "1024", "--fine-tuning", "full", "--gpus", "4", "--class-counts", "900,80,20",
                "--cpu-cores", "16"]
MEMORY_SETUP = GOLDEN_SETUP[:GOLDEN_SETUP.index("--class-counts")]  # the flags `advisor memory` takes
GOLDEN = ["hf_sft.yaml", "ds_zero2.json", "lightning_cli.yaml", "plain.toml"]


def filled_name(name: str) -> str:
    stem, ext = name.rsplit(".", 1)
    return f"{stem}.filled.{ext}"


@pytest.mark.parametrize("name", GOLDEN)
def test_each_family_fills_to_its_golden_file(run_cli, name):
    code, out, err = run_cli("fill", CONFIGS / name, *GOLDEN_SETUP)
    assert code == 0, err
    assert out == (CONFIGS / filled_name(name)).read_text(encoding="utf-8")
    assert "auto" not in out.replace("accelerator: auto", "").replace("strategy: auto", "").replace("devices: auto", "")


@pytest.mark.parametrize("name", GOLDEN)
def test_only_the_auto_lines_change(name):
    before = (CONFIGS / name).read_text(encoding="utf-8").splitlines()
    after = (CONFIGS / filled_name(name)).read_text(encoding="utf-8").splitlines()
    assert len(before) == len(after)
    changed = [(b, a) for b, a in zip(before, after) if b != a]
    assert changed and all("auto" in b and "auto" not in a for b, a in changed)


def test_filled_values_are_the_memory_plans(run_cli):
    code, out, _ = run_cli("fill", CONFIGS / "ds_zero2.json", *GOLDEN_SETUP)
    assert code == 0
    config = json.loads(out)
    code, report, _ = run_cli("memory", "--format", "json", "--config", CONFIGS / "ds_zero2.json", *MEMORY_SETUP)
    plan = json.loads(report)["settings"]
    assert config["train_micro_batch_size_per_gpu"] == plan["micro_batch"]
    assert config["gradient_accumulation_steps"] == plan["grad_accum"]
    assert config["train_batch_size"] == plan["global_batch"] == 128  # the global batch asked for, exactly
    assert config["zero_optimization"]["stage"] == plan["zero_stage"] >= 1  # the config offloads: ZeRO-Offload
    assert config["bf16"]["enabled"] is True and config["fp16"]["enabled"] is False  # A10G has bf16
    assert config["optimizer"]["params"]["lr"] == pytest.approx(2e-5)  # full fine-tuning of a transformer
    assert "2e8" in out  # number spellings of untouched values survive


def test_fill_asks_the_planner_once(run_cli, monkeypatch):
    # every memory value comes from one plan, so they cannot disagree with each other
    from advisor.estimate import planner

    calls = []
    real = planner.plan
    monkeypatch.setattr(planner, "plan", lambda *a, **kw: calls.append(kw.get("free")) or real(*a, **kw))
    code, out, err = run_cli("fill", CONFIGS / "hf_sft.yaml", *GOLDEN_SETUP)
    assert code == 0, err
    assert len(calls) == 1
    assert calls[0] == {"micro_batch", "grad_accum", "precision", "checkpointing"}  # the autos, nothing else


def test_untouched_file_comes_back_byte_identical(run_cli, tmp_path):
    source = CONFIGS / "untouched.yaml"
    code, out, _ = run_cli("fill", source, *GOLDEN_SETUP)
    assert code == 0 and out.encode() == source.read_bytes()
    target = tmp_path / "untouched.yaml"
    shutil.copy(source, target)
    assert run_cli("fill", target, "--in-place", *GOLDEN_SETUP)[0] == 0
    assert target.read_bytes() == source.read_bytes()


def test_comments_and_quotes_survive_in_yaml(run_cli):
    _, out, _ = run_cli("fill", CONFIGS / "hf_sft.yaml", *GOLDEN_SETUP)
    assert "bf16: true            # bf16 where the card has it" in out
    assert "# SFT trainer config" in out and 'save_strategy: "steps"' in out and "logging_steps: 5  \n" in out


def test_check_exit_codes_like_black(run_cli, tmp_path):
    assert run_cli("fill", CONFIGS / "hf_sft.yaml", "--check", *GOLDEN_SETUP)[0] == 1
    assert run_cli("fill", CONFIGS / "hf_sft.filled.yaml", "--check", *GOLDEN_SETUP)[0] == 0
    assert run_cli("fill", CONFIGS / "untouched.yaml", "--check", *GOLDEN_SETUP)[0] == 0
    code, out, err = run_cli("fill", CONFIGS / "hf_sft.yaml", "--check", "--gpu", "a10g")
    assert code == 2 and out == ""


def test_diff_shows_only_filled_lines(run_cli):
    code, out, _ = run_cli("fill", CONFIGS / "plain.toml", "--diff", *GOLDEN_SETUP)
    assert code == 0
    removed = [l for l in out.splitlines() if l.startswith("-") and not l.startswith("---")]
    added = [l for l in out.splitlines() if l.startswith("+") and not l.startswith("+++")]
    assert len(removed) == len(added) == 5 and all('"auto"' in l for l in removed)


def test_in_place_and_output_write_atomically(run_cli, tmp_path):
    target = tmp_path / "ds.json"
    shutil.copy(CONFIGS / "ds_zero2.json", target)
    target.chmod(0o640)
    assert run_cli("fill", target, "--in-place", *GOLDEN_SETUP)[0] == 0
    assert target.read_text() == (CONFIGS / "ds_zero2.filled.json").read_text()
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    out = tmp_path / "out.json"
    assert run_cli("fill", CONFIGS / "ds_zero2.json", "-o", out, *GOLDEN_SETUP)[0] == 0
    assert out.read_text() == target.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds.json", "out.json"]  # no temp files left


def test_original_survives_a_failed_write(tmp_path, monkeypatch):
    target = tmp_path / "train.yaml"
    target.write_text("batch_size: auto\n")

    def broken(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(AdvisorError, match="disk full; nothing was changed"):
        filler.write_atomic(target, "batch_size: 8\n")
    assert target.read_text() == "batch_size: auto\n" and [p.name for p in tmp_path.iterdir()] == ["train.yaml"]


@pytest.mark.parametrize("key, needs", [
    ("per_device_train_batch_size", "needs --model or --model-params (setup key model / model_params)"),
    ("learning_rate", "needs --fine-tuning or --pretrained (setup key fine_tuning / pretrained)"),
])
def test_auto_that_cannot_be_filled_names_key_flag_and_setup_key(run_cli, tmp_path, key, needs):
    config = tmp_path / "t.yaml"
    config.write_text(f"output_dir: out\n{key}: auto\n")
    code, out, err = run_cli("fill", config, "--gpu", "a10g", "--batch-size", "32")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert f"{key} {needs}" in err and "Traceback" not in err


def test_the_config_describes_its_own_run(run_cli):
    # hf_sft.yaml names its model (pythia-1.4b) and max_seq_length: the card and the method are all fill needs
    code, out, err = run_cli("fill", CONFIGS / "hf_sft.yaml", "--gpu", "a100-80gb", "--fine-tuning", "full")
    assert code == 0, err
    assert "auto" not in out
    code, report, _ = run_cli("memory", "--format", "json", "--config", CONFIGS / "hf_sft.yaml", "--gpu", "a100-80gb",
                              "--fine-tuning", "full")
    report = json.loads(report)
    assert report["model"].endswith("pythia-1.4b")
    assert f"per_device_train_batch_size: {report['settings']['micro_batch']}\n" in out
    assert any("accumulation 1" in note for note in report["plan_assumptions"])  # no global batch given


def test_auto_on_a_key_without_advice_is_an_error(run_cli, tmp_path):
    config = tmp_path / "ds.json"
    config.write_text('{"train_micro_batch_size_per_gpu": 4, "zero_optimization": {"sub_group_size": "auto"}}')
    code, _, err = run_cli("fill", config, *GOLDEN_SETUP)
    assert code == 2 and "zero_optimization.sub_group_size has no advice" in err
    assert config.read_text().count("auto") == 1


def test_all_disagreements_in_one_message_with_types_normalised(run_cli, tmp_path):
    config = tmp_path / "train.yaml"
    config.write_text('output_dir: out\nper_device_train_batch_size: "64"\nfp16: "true"\nbf16: false\n'
                      'learning_rate: 1e-3\ngradient_accumulation_steps: "1"\n')
    code, out, err = run_cli("fill", config, *GOLDEN_SETUP)
    assert code == 0 and out == config.read_text()
    lines = [l for l in err.splitlines() if "with the advice" in l]
    assert len(lines) == 1 and "5 values disagree" in lines[0]
    for key in ("per_device_train_batch_size = 64", "fp16 = true", "bf16 = false", "learning_rate = 0.001",
                "gradient_accumulation_steps = 1 (advice: 4"):  # 8 × 4 × 4 GPUs is the global batch of 128
        assert key in lines[0]
    assert run_cli("fill", config, "--strict", *GOLDEN_SETUP)[0] == 1


def test_string_and_int_spellings_of_the_advice_agree(tmp_path):
    setup = fields.normalize_setup({"gpu": "a10g", "model_params": "350M", "seq_len": 1024, "batch_size": 32, "fine_tuning": "full"})
    text = 'per_device_train_batch_size: "8"\nbf16: "yes"\nlearning_rate: "2e-5"\n'
    result = filler.fill_text(text, "yaml", setup)
    assert result.disagreements == [] and result.text == text


def test_setup_discovery_from_working_directory(run_cli, tmp_path, monkeypatch):
    shutil.copy(CONFIGS / "plain.toml", tmp_path / "train.toml")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.advisor]\ngpu = "a10g"\n'
                                             'model_params = "350M"\nseq_len = 1024\nbatch_size = 32\nfine_tuning = "full"\n'
                                             'class_counts = "900,80,20"\nglobal_batch_size = 128\ngpu_count = 4\n')
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli("fill", "train.toml")
    assert code == 0, err
    assert out == (CONFIGS / "plain.filled.toml").read_text()
    (tmp_path / "advisor.yaml").write_text("gpu: v100\nseq_len: 1024\nmodel_params: 350M\nbatch_size: 32\nfine_tuning: full\n"
                                           "class_counts: 900,80,20\n")
    code, out, _ = run_cli("fill", "train.toml")  # advisor.yaml wins over pyproject.toml
    assert 'precision = "fp16"' in out
    code, out, _ = run_cli("fill", "train.toml", "--gpu", "h100")  # flags override the file
    assert 'precision = "bf16"' in out


def test_pyproject_without_tool_table_is_ignored(run_cli, tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli("diagnose", "--format", "json", "--imbalance", "1:20")
    assert code == 0, err


def test_lightning_native_autos_are_left_alone():
    setup = fields.normalize_setup({"gpu": "t4", "symptoms": ["nan-loss"]})
    text = "trainer:\n  devices: auto\n  precision: auto\n"
    result = filler.fill_text(text, "yaml", setup)
    assert result.family == "lightning" and result.text == "trainer:\n  devices: auto\n  precision: 32-true\n"


def test_bad_config_is_one_line_error(run_cli, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"batch_size": auto}')
    code, _, err = run_cli("fill", bad, *GOLDEN_SETUP)
    assert code == 2 and "bad.json:1: not valid JSON" in err and err.count("\n") == 1
    code, _, err = run_cli("fill", tmp_path / "x.ini", *GOLDEN_SETUP)
    assert code == 2 and "use .yaml, .yml, .json or .toml" in err


# ------------------------------------------------------------------ properties

_KEYS = st.sampled_from(["batch_size", "lr", "fp16", "bf16", "precision", "zero_stage", "seed", "name", "epochs",
                         "grad_accum", "class_weights", "dropout"])
_SCALARS = st.one_of(st.integers(0, 1000), st.booleans(), st.sampled_from(["auto", "adamw", "cosine"]),
                     st.floats(1e-6, 10, allow_nan=False).map(lambda x: float(f"{x:.3g}")))
_SETUP = fields.normalize_setup({"gpu": "a100-80gb", "model_params": "350M", "batch_size": 64, "gpu_count": 2,
                                 "fine_tuning": "lora", "class_counts": "500,50"})


def _yaml_text(entries, comments):
    lines = []
    for i, (key, value) in enumerate(entries):
        spelled = {True: "true", False: "false"}.get(value, value) if isinstance(value, bool) else value
        lines.append(f"{key}_{i}: {spelled}" + (f"  # note {i}" if comments[i % len(comments)] else ""))
    return "# header comment\n" + "\n".join(lines) + "\n"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entries=st.lists(st.tuples(_KEYS, _SCALARS), min_size=1, max_size=12),
       comments=st.lists(st.booleans(), min_size=1, max_size=5))
def test_filling_never_loses_a_key_or_a_comment(entries, comments):
    # keys carry an index so each is unique; knob patterns match on the last key, so `lr_3` is never filled:
    # give the fillable ones their exact names instead
    text = _yaml_text(entries, comments).replace("lr_", "lr__")
    plain = "\n".join(f"{k}: {v}" for k, v in [(k, "auto") for k, _ in entries]) + "\n"
    for source in (text, plain):
        try:
            result = filler.fill_text(source, "yaml", _SETUP)
        except AdvisorError:
            continue  # an unfillable key is reported, never half-written
        before, after = source.splitlines(), result.text.splitlines()
        assert len(before) == len(after)
        for b, a in zip(before, after):
            assert b.split(":")[0] == a.split(":")[0]  # same key, same place
            assert ("#" in b) == ("#" in a) and b[b.find("#"):] == a[a.find("#"):] if "#" in b else True
        assert "auto" not in result.text or source is text and "auto" in text


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(st.sampled_from(["batch_size", "gradient_accumulation_steps", "fp16", "bf16", "lr",
                                        "seed", "tag"]), st.just("auto") | st.integers(1, 64), min_size=1))
def test_json_and_toml_fill_keeps_every_key_in_order(config):
    import tomllib

    for kind, text in (("json", json.dumps({"train": config}, indent=3)),
                       ("toml", "[train]\n" + "".join(f'{k} = {json.dumps(v)}  # c\n' for k, v in config.items()))):
        try:
            result = filler.fill_text(text, kind, _SETUP)
        except AdvisorError as exc:
            assert "seed" in str(exc) or "tag" in str(exc)
            continue
        data = json.loads(result.text) if kind == "json" else tomllib.loads(result.text)
        assert list(data["train"]) == list(config)
        assert all(v != "auto" for v in data["train"].values())
        if kind == "toml":
            assert result.text.count("# c") == len(config)
