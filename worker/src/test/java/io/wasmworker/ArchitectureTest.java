package io.wasmworker;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import java.util.stream.Stream;

/**
 * The layer rules, on every main class of the worker (this module's test classpath holds the engine,
 * both adapters, the daemon and CLI, and the test bed): the engine at the bottom knows no orchestrator
 * and nothing above it; an adapter knows the engine only; only dev tooling uses the test bed; no two
 * packages depend on each other; and every package says what it is (package-info.java). A new package
 * must be named in a layer here.
 */
@AnalyzeClasses(
        packages = "io.wasmworker",
        importOptions = {ImportOption.DoNotIncludeTests.class, ArchitectureTest.DoNotIncludeTestJars.class})
class ArchitectureTest {
    /** The engine: modules, sandbox, host functions, checkpoints, stores (local and S3), task attempts. */
    static final String[] ENGINE = {
        "io.wasmworker.abi..",
        "io.wasmworker.artifact..",
        "io.wasmworker.module..",
        "io.wasmworker.host..",
        "io.wasmworker.sandbox..",
        "io.wasmworker.checkpoint..",
        "io.wasmworker.s3..",
        "io.wasmworker.payload..",
        "io.wasmworker.task.."
    };

    static final String[] ADAPTERS = {"io.wasmworker.adapter.."};
    /** What users deploy: the daemon, its configuration, the CLI. */
    static final String[] WORKER = {"io.wasmworker.daemon..", "io.wasmworker.cli.."};
    /** Never deployed: real orchestrators and samples for tests and `dev`, benchmarks. */
    static final String[] DEV_TOOLING = {"io.wasmworker.testbed..", "io.wasmworker.bench.."};

    static final String[] ORCHESTRATORS = {"org.camunda..", "org.operaton..", "io.temporal.."};

    @ArchTest
    static final ArchRule everyPackageIsInALayer = classes()
            .should()
            .resideInAnyPackage(Stream.of(ENGINE, ADAPTERS, WORKER, DEV_TOOLING)
                    .flatMap(Stream::of)
                    .toArray(String[]::new))
            .because("the rules here see only packages named in a layer: add a new one to ArchitectureTest");

    @ArchTest
    static final ArchRule everyPackageSaysWhatItIs = classes()
            .should(new ArchCondition<>("be in a package with a package-info") {
                @Override
                public void check(JavaClass item, ConditionEvents events) {
                    if (item.getPackage().tryGetPackageInfo().isEmpty()) {
                        events.add(SimpleConditionEvent.violated(
                                item,
                                "package " + item.getPackageName() + " of " + item.getName()
                                        + " has no package-info.java: add one with a sentence on what the package is"));
                    }
                }
            });

    @ArchTest
    static final ArchRule theEngineKnowsNoOrchestrator = noClasses()
            .that()
            .resideInAnyPackage(ENGINE)
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage(ORCHESTRATORS)
            .because("orchestrators are the adapters' business; the engine runs guests for any of them");

    @ArchTest
    static final ArchRule theEngineKnowsNothingAboveIt = noClasses()
            .that()
            .resideInAnyPackage(ENGINE)
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage(concat(ADAPTERS, WORKER, DEV_TOOLING))
            .because("the engine is the bottom layer");

    @ArchTest
    static final ArchRule anAdapterKnowsOnlyTheEngine = noClasses()
            .that()
            .resideInAnyPackage(ADAPTERS)
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage(concat(WORKER, DEV_TOOLING))
            .because("the daemon and the CLI sit above the adapters");

    @ArchTest
    static final ArchRule noAdapterUsesAnother =
            slices().matching("io.wasmworker.adapter.(*)..").should().notDependOnEachOther();

    @ArchTest
    static final ArchRule deployedCodeUsesNoDevTooling = noClasses()
            .that()
            .resideOutsideOfPackages(DEV_TOOLING)
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage(DEV_TOOLING)
            .because("the test bed and the benchmarks are not in wasm-worker-all.jar; `dev` runs the test bed"
                    + " from its own jar (cli.TestbedSession)");

    @ArchTest
    static final ArchRule noPackageCycles =
            slices().matching("io.wasmworker.(**)").should().beFreeOfCycles();

    private static String[] concat(String[]... groups) {
        return Stream.of(groups).flatMap(Stream::of).toArray(String[]::new);
    }

    /** Test helpers that other modules publish as test jars (e.g. the engine's io.wasmworker.testing). */
    static final class DoNotIncludeTestJars implements ImportOption {
        @Override
        public boolean includes(Location location) {
            return !location.contains("-tests.jar");
        }
    }
}
