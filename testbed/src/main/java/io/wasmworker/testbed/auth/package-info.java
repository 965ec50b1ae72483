/**
 * Bearer-token authentication for the test bed's engines: tokens signed with a key the launcher
 * chooses, a small OAuth2 token endpoint that issues them (client credentials), and the engines' filter
 * that requires them on {@code /engine-rest} when started with {@code --testbed.bearer-key}.
 */
package io.wasmworker.testbed.auth;
