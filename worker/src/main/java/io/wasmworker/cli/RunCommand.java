package io.wasmworker.cli;

import io.wasmworker.daemon.Daemon;
import io.wasmworker.daemon.DaemonPlan;
import io.wasmworker.daemon.config.ConfigLoader;
import io.wasmworker.daemon.config.WorkerConfig;
import io.wasmworker.module.ModuleCache;
import io.wasmworker.module.ModuleLoader;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code wasm-worker run --config FILE}: the daemon, until SIGTERM or SIGINT. */
@Command(
        name = "run",
        mixinStandardHelpOptions = true,
        description = "Serve the Camunda topics and Temporal task queues of a configuration file until stopped"
                + " (SIGTERM or SIGINT stop it gracefully: in-flight tasks checkpoint or finish first).")
final class RunCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "The configuration file (YAML).")
    Path config;

    @Mixin
    StoreOptions store;

    @Mixin
    ArtifactStoreOption artifactStore;

    /** Compiled modules kept by the daemon (each a few hundred KiB to a few MiB of classes). */
    private static final int MAX_COMPILED_MODULES = 64;

    @Override
    public Integer call() throws InterruptedException {
        Daemon daemon = new Daemon(plan(config, store.home(), artifactStore.forConfig()));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            daemon.close();
                            stopped.countDown();
                        },
                        "wasm-worker-shutdown"));
        daemon.start();
        stopped.await();
        return ExitCodes.SUCCESS;
    }

    /**
     * Loads and checks the configuration; any problem is a {@code ConfigException} naming where.
     *
     * @param artifacts the artifact store given on the command line (replacing {@code stores.artifacts}), or null
     */
    static DaemonPlan plan(Path file, Path defaultHome, String artifacts) {
        return plan(ConfigLoader.withSystemEnvironment(), file, defaultHome, artifacts);
    }

    /** {@link #plan(Path, Path, String)} with the variables {@code loader} sees. */
    static DaemonPlan plan(ConfigLoader loader, Path file, Path defaultHome, String artifacts) {
        WorkerConfig config = loader.load(file);
        if (artifacts != null) {
            config = config.withArtifactStore(artifacts);
        }
        return DaemonPlan.of(
                file.toString(),
                config,
                defaultHome,
                store -> new ModuleCache(store, new ModuleLoader(), MAX_COMPILED_MODULES));
    }
}
