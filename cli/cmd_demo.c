/*
 * cmd_demo.c - `impact demo`: show impact working end to end on a sample.
 *
 * Builds a small shop-like package with tests in a new temporary git
 * repository (libgit2; no git binary needed), makes a few commits, and runs
 * the default command on them: the selection and its reasons, a real run,
 * a documentation-only commit that selects nothing, and an uncommitted
 * change that breaks a test. The repository is left in place to explore.
 */
#include "cli.h"

#include "buf.h"
#include "planout.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct demo_file {
	const char *path;
	const char *content;
} demo_file;

static const demo_file project_files[] = {
	{ "README.md", "# shop\n\nA tiny shop, the sample project of `impact demo`.\n" },
	{ "pyproject.toml",
	  "[project]\nname = \"shop\"\nversion = \"0.1.0\"\n\n"
	  "[tool.pytest.ini_options]\ntestpaths = [\"tests\"]\n" },
	{ "shop/__init__.py", "\"\"\"A tiny shop.\"\"\"\n" },
	{ "shop/pricing.py",
	  "def discount(total, percent):\n"
	  "    return total - total * percent / 100\n" },
	{ "shop/cart.py",
	  "from shop.pricing import discount\n\n\n"
	  "class Cart:\n"
	  "    def __init__(self):\n        self.items = []\n\n"
	  "    def add(self, name, price):\n        self.items.append((name, price))\n\n"
	  "    def total(self, percent=0):\n"
	  "        return discount(sum(p for _, p in self.items), percent)\n" },
	{ "shop/inventory.py",
	  "STOCK = {\"apple\": 3, \"pear\": 0}\n\n\n"
	  "def in_stock(name):\n    return STOCK.get(name, 0) > 0\n" },
	{ "tests/conftest.py",
	  "import pytest\n\nfrom shop.cart import Cart\n\n\n"
	  "@pytest.fixture\ndef cart():\n    return Cart()\n" },
	{ "tests/test_pricing.py",
	  "from shop.pricing import discount\n\n\n"
	  "def test_ten_percent():\n    assert discount(200, 10) == 180\n" },
	{ "tests/test_cart.py",
	  "def test_total(cart):\n    cart.add(\"apple\", 2)\n    cart.add(\"pear\", 3)\n"
	  "    assert cart.total() == 5\n\n\n"
	  "def test_total_with_discount(cart):\n    cart.add(\"apple\", 10)\n"
	  "    assert cart.total(50) == 5\n" },
	{ "tests/test_inventory.py",
	  "from shop.inventory import in_stock\n\n\n"
	  "def test_apple():\n    assert in_stock(\"apple\")\n\n\n"
	  "def test_pear():\n    assert not in_stock(\"pear\")\n" },
};

static int write_file(const char *root, const char *rel, const char *content)
{
	impact_buf path = IMPACT_BUF_INIT;
	FILE *f;
	int rc = 0;

	impact_buf_printf(&path, "%s/%s", root, rel);
	for (char *s = strchr(path.ptr + strlen(root) + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(path.ptr, 0755) < 0 && errno != EEXIST)
			rc = impact_error_from_errno(errno, "cannot create '%s'", path.ptr);
		*s = '/';
		if (rc < 0)
			goto done;
	}
	f = fopen(path.ptr, "w");
	if (!f) {
		rc = impact_error_from_errno(errno, "cannot write '%s'", path.ptr);
		goto done;
	}
	fputs(content, f);
	if (fclose(f) != 0)
		rc = impact_error_from_errno(errno, "cannot write '%s'", path.ptr);
done:
	impact_buf_release(&path);
	return rc;
}

/* Stage everything and commit it on HEAD: the demo's own repository only. */
static int commit_all(git_repository *repo, const char *message)
{
	git_index *index = NULL;
	git_signature *sig = NULL;
	git_tree *tree = NULL;
	git_commit *parent = NULL;
	git_oid tree_id, commit_id, parent_id;
	git_strarray all = { NULL, 0 };
	char *star = "*";
	int rc;

	all.strings = &star;
	all.count = 1;
	if ((rc = git_repository_index(&index, repo)) < 0 ||
	    (rc = git_index_add_all(index, &all, 0, NULL, NULL)) < 0 ||
	    (rc = git_index_write(index)) < 0 ||
	    (rc = git_index_write_tree(&tree_id, index)) < 0 ||
	    (rc = git_tree_lookup(&tree, repo, &tree_id)) < 0 ||
	    (rc = git_signature_now(&sig, "impact demo", "demo@example.invalid")) < 0)
		goto done;
	if (git_reference_name_to_id(&parent_id, repo, "HEAD") == 0 &&
	    (rc = git_commit_lookup(&parent, repo, &parent_id)) < 0)
		goto done;
	rc = git_commit_create_v(&commit_id, repo, "HEAD", sig, sig, NULL, message, tree,
	                         parent ? 1 : 0, parent);
done:
	if (rc < 0)
		rc = impact_error_from_git(rc, "cannot commit in the demo repository");
	git_commit_free(parent);
	git_tree_free(tree);
	git_signature_free(sig);
	git_index_free(index);
	return rc;
}

/*
 * One step of the demo: print the command a user would type, then plan
 * and show (or run) it through the library, as that command does.
 */
static int run_step(const char *dir, const char *title, const char *spec, bool explain)
{
	impact_cli cli = { 0 };
	impact_plan *plan = NULL;
	impact_plan_opts po = { 0 };
	impact_runner_opts ro = { 0 };
	int rc;

	printf("\n== %s\n$ impact%s%s%s\n", title, explain ? " --explain" : "",
	       spec ? " " : "", spec ? spec : "");
	fflush(stdout);
	cli.dir = dir;
	po.spec = spec;
	po.rules_dir = impact_planout_rules_dir();
	if ((rc = impact_planout_build(&plan, &cli, &po, false)) == IMPACT_EXIT_OK)
		rc = explain ? impact_planout_print(plan, IMPACT_VIEW_EXPLAIN)
		             : impact_planout_run(&cli, plan, &po, &ro, NULL, 0);
	impact_planout_free(plan, false);
	fflush(stdout);
	fflush(stderr);
	if (cli.repo)
		git_repository_free(cli.repo);
	free((char *)cli.workdir);
	return rc;
}

int cmd_demo(int argc, char **argv, impact_cli *cli)
{
	char dir[] = "/tmp/impact-demo-XXXXXX";
	git_repository *repo = NULL;
	int rc, code, failures = 0;
	IMPACT_UNUSED(cli);

	if (argc > 1) {
		if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
			printf("usage: impact demo\n\nBuilds a sample Python project in a temporary git "
			       "repository, makes a few commits\nand shows impact's selection, reasons "
			       "and test runs on them.\n");
			return IMPACT_EXIT_OK;
		}
		return impact_cli_error_usage("demo", "impact demo", "demo takes no arguments");
	}
	/* Our lines and impact's messages (stderr) must interleave in order. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!mkdtemp(dir))
		return impact_cli_error(impact_error_from_errno(errno, "cannot create a temporary directory"));
	if ((rc = git_repository_init(&repo, dir, 0)) < 0) {
		rc = impact_error_from_git(rc, "cannot create a repository in '%s'", dir);
		goto fail;
	}
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(project_files); i++)
		if ((rc = write_file(dir, project_files[i].path, project_files[i].content)) < 0)
			goto fail;
	if ((rc = commit_all(repo, "shop: cart, pricing and inventory with tests")) < 0)
		goto fail;
	if ((rc = write_file(dir, "shop/pricing.py",
	                     "def discount(total, percent):\n"
	                     "    if not 0 <= percent <= 100:\n"
	                     "        raise ValueError(\"percent must be within 0..100\")\n"
	                     "    return total - total * percent / 100\n")) < 0 ||
	    (rc = commit_all(repo, "pricing: reject impossible discounts")) < 0)
		goto fail;
	if ((rc = write_file(dir, "README.md",
	                     "# shop\n\nA tiny shop, the sample project of `impact demo`.\n\n"
	                     "Run the tests with `pytest`.\n")) < 0 ||
	    (rc = commit_all(repo, "docs: how to run the tests")) < 0)
		goto fail;

	printf("impact demo: a sample project with three commits in %s\n"
	       "  HEAD~2  shop: cart, pricing and inventory with tests\n"
	       "  HEAD~1  pricing: reject impossible discounts   (shop/pricing.py)\n"
	       "  HEAD    docs: how to run the tests             (README.md)\n", dir);

	{
		failures += run_step(dir, "which tests can the pricing commit break, and why?",
		                     "HEAD~1", true) != 0;
		failures += run_step(dir, "run them", "HEAD~1", false) != 0;
		failures += run_step(dir, "a documentation-only commit selects nothing", "HEAD", true) != 0;
		if ((rc = write_file(dir, "shop/inventory.py",
		                     "STOCK = {\"apple\": 3, \"pear\": 0}\n\n\n"
		                     "def in_stock(name):\n    return STOCK.get(name, 0) >= 0  # oops\n")) < 0)
			goto fail;
		printf("\n(now an uncommitted edit breaks shop/inventory.py)\n");
		failures += run_step(dir, "uncommitted changes against HEAD", NULL, true) != 0;
		code = run_step(dir, "run them: the failure is reported", NULL, false);
		if (code != IMPACT_EXIT_FAILED)
			failures++;
	}
	printf("\nimpact demo: %s. The project stays in %s to explore:\n"
	       "  cd %s && impact --explain HEAD~2..\n",
	       failures ? "something went wrong (see above)" : "done, everything behaved as expected",
	       dir, dir);
	git_repository_free(repo);
	return failures ? IMPACT_EXIT_FAILED : IMPACT_EXIT_OK;
fail:
	git_repository_free(repo);
	return impact_cli_error(rc);
}
