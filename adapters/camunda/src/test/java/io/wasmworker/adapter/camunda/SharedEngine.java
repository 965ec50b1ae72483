package io.wasmworker.adapter.camunda;

import io.wasmworker.testbed.camunda.CamundaEngine;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * One real Camunda engine (its own JVM) for the whole test run, with the test processes deployed;
 * killed when the test JVM exits.
 */
final class SharedEngine {
    private static CamundaEngine engine;

    private SharedEngine() {}

    static synchronized CamundaEngine get() {
        if (engine == null) {
            CamundaEngine started = CamundaEngine.start();
            Runtime.getRuntime().addShutdownHook(new Thread(started::close));
            started.deploy(bpmnFiles());
            engine = started;
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
