package io.wasmworker.adapter.camunda;

import static org.assertj.core.api.Assertions.assertThat;

import io.wasmworker.checkpoint.CheckpointPolicy;
import io.wasmworker.sandbox.GuestLimits;
import io.wasmworker.task.TaskBinding;
import io.wasmworker.testbed.auth.BearerTokens;
import io.wasmworker.testbed.auth.TokenEndpoint;
import io.wasmworker.testbed.camunda.CamundaEngine;
import io.wasmworker.testbed.camunda.EngineProduct;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * OAuth2 client credentials against engines (Camunda 7.24, Operaton) that refuse every REST call
 * without a valid, unexpired bearer token, with tokens from the test bed's token endpoint that live a
 * few seconds: the worker refreshes them before they expire, and recovers once the endpoint that was
 * down answers again.
 */
class CamundaOAuth2IT {
    private static final Duration TOKEN_LIFETIME = Duration.ofSeconds(4);
    private static final Pattern REFUSED = Pattern.compile("bearer refused (\\S+ \\S+): (.*)");

    @TempDir
    Path home;

    private static TopicSettings greet(Worker worker) {
        return TopicSettings.of(
                "echo",
                new TaskBinding(
                        worker.guest("greet"), GuestLimits.DEFAULTS, new CheckpointPolicy(1, Duration.ZERO, true)));
    }

    /** The key of every token the engines below take (each test's token endpoint issues under it). */
    private static final BearerTokens TOKENS = BearerTokens.random();

    private static final Map<EngineProduct, CamundaEngine> ENGINES = new java.util.EnumMap<>(EngineProduct.class);

    /** One engine requiring tokens per product, for both tests; killed when the test JVM exits. */
    private static synchronized CamundaEngine engineRequiringTokens(EngineProduct product) throws Exception {
        CamundaEngine engine = ENGINES.get(product);
        if (engine == null) {
            engine = CamundaEngine.start(product, TOKENS);
            Runtime.getRuntime().addShutdownHook(new Thread(engine::close));
            engine.deploy(Path.of(
                    CamundaOAuth2IT.class.getResource("/bpmn/echo-process.bpmn").toURI()));
            ENGINES.put(product, engine);
        }
        return engine;
    }

    /** What the engine refused since the log was at {@code from} characters: "METHOD PATH: reason". */
    private static List<String> refusals(CamundaEngine engine, int from) throws Exception {
        String log = Files.readString(engine.process().log());
        Matcher m = REFUSED.matcher(log.substring(Math.min(from, log.length())));
        List<String> refused = new java.util.ArrayList<>();
        while (m.find()) {
            refused.add(m.group(1) + ": " + m.group(2));
        }
        return refused;
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(EngineProduct.class)
    void tokensAreFetchedAndRefreshedBeforeTheyExpire(EngineProduct product) throws Exception {
        CamundaEngine engine = engineRequiringTokens(product);
        try (TokenEndpoint endpoint = TokenEndpoint.start(TOKENS, "wasm-worker", "s3cret", TOKEN_LIFETIME);
                Worker worker = new Worker(home)) {
            int logStart = Files.readString(engine.process().log()).length();
            worker.start(
                    engine.restUrl(),
                    new OAuth2ClientCredentials(endpoint.url(), "wasm-worker", "s3cret", "engine-rest", null, null),
                    Duration.ofSeconds(5),
                    greet(worker));
            String first = engine.startProcess("echo-process", "oauth-1", Map.of("name", "Ada"));
            engine.awaitEnded(first, Duration.ofSeconds(30));
            // the worker keeps polling through more than two token lifetimes
            Thread.sleep(TOKEN_LIFETIME.multipliedBy(2).plusSeconds(1).toMillis());
            String second = engine.startProcess("echo-process", "oauth-2", Map.of("name", "Bo"));
            engine.awaitEnded(second, Duration.ofSeconds(30));

            assertThat(engine.variables(first).get("greeting").path("value").asText())
                    .isEqualTo("Hello, Ada!");
            assertThat(engine.variables(second).get("greeting").path("value").asText())
                    .isEqualTo("Hello, Bo!");
            assertThat(endpoint.issued())
                    .as("tokens were fetched again as they neared their end")
                    .isGreaterThanOrEqualTo(3);
            assertThat(endpoint.lastScope()).isEqualTo("engine-rest");
            assertThat(refusals(engine, logStart))
                    .as("no request went without a valid token, none with an expired one")
                    .isEmpty();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(EngineProduct.class)
    void whileTheTokenEndpointIsDownTheEngineRefusesTheWorkerWhichCarriesOnOnceItAnswers(EngineProduct product)
            throws Exception {
        CamundaEngine engine = engineRequiringTokens(product);
        try (TokenEndpoint endpoint = TokenEndpoint.start(TOKENS, "wasm-worker", "s3cret", Duration.ofMinutes(5));
                Worker worker = new Worker(home)) {
            int logStart = Files.readString(engine.process().log()).length();
            endpoint.failNext(2);
            worker.start(
                    engine.restUrl(),
                    new OAuth2ClientCredentials(endpoint.url(), "wasm-worker", "s3cret"),
                    Duration.ofSeconds(5),
                    greet(worker));
            String pid = engine.startProcess("echo-process", "oauth-down", Map.of("name", "Cy"));
            engine.awaitEnded(pid, Duration.ofSeconds(60));

            assertThat(engine.variables(pid).get("greeting").path("value").asText())
                    .isEqualTo("Hello, Cy!");
            assertThat(endpoint.refused()).isEqualTo(2);
            assertThat(endpoint.issued()).as("one token, reused").isEqualTo(1);
            assertThat(refusals(engine, logStart))
                    .as("while there was no token, the engine refused the worker's fetches")
                    .isNotEmpty()
                    .allMatch(r -> r.equals("POST /engine-rest/external-task/fetchAndLock: no Authorization header"));
        }
    }
}
