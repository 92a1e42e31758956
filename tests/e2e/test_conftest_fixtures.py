"""Static precision through a conftest (issue 17): a change a conftest's
fixture reaches selects the tests that request that fixture, not every
test in the conftest's scope.

A fixture is requested by a parameter so named, by
`pytest.mark.usefixtures("db")` or by `request.getfixturevalue("db")`; a
`getfixturevalue` of a computed name may request any fixture. The `safe_*`
cases keep the whole scope where the conftest's code runs for every test
or under a name impact does not read: an autouse fixture, a fixture
renamed with `name=`, a pytest hook, a plugin object's hook method, a
helper under an unknown decorator. Each case breaks one function, runs
the suite with pytest to learn which test files really fail, and checks
that the selection holds all of them and exactly the expected files.
"""

import pytest

from breaking import break_body, check_selection, green_project

STORE = "".join("def %s():\n    return %r\n\n\n" % (n, v) for n, v in [
    ("connect", "db"), ("user_row", "u"), ("cache_make", "c"), ("env", "e"),
    ("hook_helper", "h"), ("plug", "p"), ("registered", "r")])

PROJ = {
    "pkg/__init__.py": "",
    "pkg/store.py": STORE,
    "tests/conftest.py": (
        "import pytest\n\nfrom pkg import store\n\nHOOKS = []\n\n\n"
        "def remember(f):\n    HOOKS.append(f)\n    return f\n\n\n"
        "@pytest.fixture\ndef db():\n    return store.connect()\n\n\n"
        "def make_user():\n    return store.user_row()\n\n\n"
        "@pytest.fixture(scope='module')\ndef user():\n    return make_user()\n\n\n"
        "@pytest.fixture(name='cache')\ndef _cache():\n    return store.cache_make()\n\n\n"
        "@pytest.fixture(autouse=True)\ndef setup_env():\n    assert store.env() == 'e'\n\n\n"
        "@remember\ndef registered():\n    return store.registered()\n\n\n"
        "def pytest_runtest_setup(item):\n    assert store.hook_helper() == 'h'\n    for f in HOOKS:\n"
        "        f()\n\n\n"
        "class Plugin:\n    def pytest_runtest_call(self, item):\n        assert store.plug() == 'p'\n\n\n"
        "def pytest_configure(config):\n    config.pluginmanager.register(Plugin())\n"),
    "tests/test_db.py": "def test_db(db):\n    assert db == 'db'\n",
    "tests/test_mark.py": ("import pytest\n\n\n@pytest.mark.usefixtures('db')\n"
                           "def test_marked():\n    pass\n"),
    "tests/test_value.py": "def test_value(request):\n    assert request.getfixturevalue('db') == 'db'\n",
    "tests/test_computed.py": ("NAME = 'd' + 'b'\n\n\n"
                               "def test_computed(request):\n    assert request.getfixturevalue(NAME) == 'db'\n"),
    "tests/test_user.py": "def test_user(user):\n    assert user == 'u'\n",
    "tests/test_cache.py": "def test_cache(cache):\n    assert cache == 'c'\n",
    "tests/test_plain.py": "def test_plain():\n    assert True\n",
}

ALL = sorted(p for p in PROJ if p.startswith("tests/test_"))
DB = ["tests/test_computed.py", "tests/test_db.py", "tests/test_mark.py", "tests/test_value.py"]

CASES = [
    # name, the function of pkg/store.py broken, the expected selection
    ("fixture_by_parameter_mark_and_getfixturevalue", "connect", DB),
    # a conftest helper only a fixture calls; the computed getfixturevalue may ask for it
    ("helper_through_its_fixture", "user_row", ["tests/test_computed.py", "tests/test_user.py"]),
    ("safe_renamed_fixture", "cache_make", ALL),
    ("safe_autouse_fixture", "env", ALL),
    ("safe_hook", "hook_helper", ALL),
    ("safe_plugin_hook_method", "plug", ALL),
    ("safe_unknown_decorator", "registered", ALL),
]


@pytest.fixture
def proj(repo):
    return green_project(repo, PROJ)


@pytest.mark.parametrize("name, fn, expected", CASES, ids=[c[0] for c in CASES])
def test_conftest_fixture_selection(proj, name, fn, expected):
    text = (proj.path / "pkg/store.py").read_text()
    proj.write("pkg/store.py", break_body(text, "def %s():" % fn))
    proj.commit(name)
    check_selection(proj, expected)


def test_explain_names_the_fixture_a_test_requests(proj):
    text = (proj.path / "pkg/store.py").read_text()
    proj.write("pkg/store.py", break_body(text, "def connect():"))
    proj.commit("break connect")
    out = proj.impact("--explain", "HEAD~1..").stdout.decode()
    assert "tests/test_db.py:test_db -> tests/conftest.py:db -> pkg/store.py:connect" in out, out
