package io.wasmworker.adapter.camunda;

import io.wasmworker.testbed.camunda.CamundaEngine;
import io.wasmworker.testbed.camunda.EngineProduct;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * One real engine of each product (its own JVM, started when a test first needs it) for the whole
 * test run, with the test processes deployed; killed when the test JVM exits, started again if it died.
 */
final class SharedEngine {
    private static final Map<EngineProduct, CamundaEngine> ENGINES = new EnumMap<>(EngineProduct.class);

    private SharedEngine() {}

    /** The Camunda 7.24 engine (for tests about the worker's own stores, which no engine changes). */
    static CamundaEngine get() {
        return get(EngineProduct.CAMUNDA);
    }

    static synchronized CamundaEngine get(EngineProduct product) {
        CamundaEngine engine = ENGINES.get(product);
        if (engine != null && !engine.process().isAlive()) {
            // it died under the suite (its exit is reported on stderr): one failed test, not all that follow
            System.err.println("the shared " + product + " engine is gone; starting another for the tests that follow");
            engine = null;
        }
        if (engine == null) {
            CamundaEngine started = CamundaEngine.start(product);
            Runtime.getRuntime().addShutdownHook(new Thread(started::close));
            started.deploy(bpmnFiles());
            engine = started;
            ENGINES.put(product, engine);
        }
        return engine;
    }

    private static Path[] bpmnFiles() {
        try (Stream<Path> files =
                Files.list(Path.of(SharedEngine.class.getResource("/bpmn").toURI()))) {
            Stream<Path> examples = Stream.of(Path.of("../../config/examples/order-process.bpmn"));
            return Stream.concat(files, examples).toArray(Path[]::new);
        } catch (java.io.IOException | URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
