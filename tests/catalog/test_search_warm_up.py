"""The first search of a web worker is as fast as any other: config/wsgi.py loads the
dictionaries when the worker starts."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import time, jieba
import config.wsgi
from apps.catalog.search import _converter, pinyin_syllables, query_terms
assert jieba.dt.initialized, "jieba not loaded by config.wsgi"
assert _converter.cache_info().currsize == 1 and pinyin_syllables.cache_info().currsize == 1
started = time.perf_counter()
query_terms("蘋果 wcdm 五常大米")
print(round((time.perf_counter() - started) * 1000, 1))
"""


def test_a_web_worker_loads_the_search_dictionaries_when_it_starts():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}

    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr
    first_query_ms = float(result.stdout.strip().splitlines()[-1])
    assert first_query_ms < 200  # the dictionary load alone takes seconds
