/*
 * notls.c - impact never talks to the network, so it does not load the
 * system's TLS certificates, nor start the SSH library.
 *
 * libgit2 built on mbedTLS (Debian's) parses the whole CA bundle
 * (/etc/ssl/certs/ca-certificates.crt, ~140 certificates) inside
 * git_libgit2_init(): 7 ms of CPU in every process, a quarter of a warm
 * `impact --list` and of every post-commit hook. impact reads local
 * repositories only (no fetch, clone or push), so the binary defines the
 * one function that loads them, exported (meson.build) so the dynamic
 * linker binds libgit2's call here: it loads nothing and fails the way a
 * missing file does, which libgit2 tolerates at init. Should any code
 * ever open a TLS connection in this process, it would verify against an
 * empty CA list and be refused: the stub fails closed, never open.
 * With a libgit2 on another TLS library the symbol is simply unused.
 *
 * The same holds for SSH: git_libgit2_init() calls libssh2_init(), which
 * starts OpenSSL's crypto (its tables, engines and error strings): 0.3 to
 * 0.6 ms of a 3 ms process start, for a transport impact never opens. The
 * binary's libssh2_init does nothing and succeeds; libssh2_exit() returns
 * at once for a library that was never started, and OpenSSL 3 starts
 * itself on first use should anything ever reach it.
 *
 * When libgit2 is linked in from its archive (meson.build's static_libs),
 * the real functions are in the binary too; the link then redirects the
 * archive's calls to these (--wrap), which is why their names go through
 * NOTLS_STUB.
 */

#ifdef IMPACT_NOTLS_WRAP
#define NOTLS_STUB(name) __wrap_##name
#else
#define NOTLS_STUB(name) name
#endif

/* mbedTLS's MBEDTLS_ERR_X509_FILE_IO_ERROR: "read or write of file failed". */
#define NOTLS_FILE_IO_ERROR (-0x2900)

int NOTLS_STUB(mbedtls_x509_crt_parse_file)(void *chain, const char *path);

int NOTLS_STUB(mbedtls_x509_crt_parse_file)(void *chain, const char *path)
{
	(void)chain;
	(void)path;
	return NOTLS_FILE_IO_ERROR;
}

int NOTLS_STUB(libssh2_init)(int flags);

int NOTLS_STUB(libssh2_init)(int flags)
{
	(void)flags;
	return 0;
}
