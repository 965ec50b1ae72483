package io.wasmworker.adapter.camunda;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.camunda.bpm.client.task.ExternalTask;
import org.camunda.bpm.client.task.ExternalTaskService;
import org.junit.jupiter.api.Test;

/** The lock keeper against a scripted engine client: extensions never overlap the task's report. */
class LockKeeperTest {
    private static final Duration LOCK = Duration.ofSeconds(1); // extended every 500 ms

    /** What the engine client is asked, in order, with "extendLock:start"/":end" around each extension. */
    private final List<String> calls = new CopyOnWriteArrayList<>();

    private static ExternalTask task(String id) {
        return (ExternalTask) Proxy.newProxyInstance(
                ExternalTask.class.getClassLoader(),
                new Class<?>[] {ExternalTask.class},
                (proxy, method, args) -> method.getName().equals("getId") ? id : null);
    }

    /** A client whose extendLock runs {@code extension} (may block or throw). */
    private ExternalTaskService service(Runnable extension) {
        return (ExternalTaskService) Proxy.newProxyInstance(
                ExternalTaskService.class.getClassLoader(),
                new Class<?>[] {ExternalTaskService.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("extendLock")) {
                        calls.add("extendLock:start");
                        try {
                            extension.run();
                        } finally {
                            calls.add("extendLock:end");
                        }
                    } else {
                        calls.add(method.getName());
                    }
                    return null;
                });
    }

    @Test
    void releaseWaitsForAnExtensionUnderWayAndNoneStartsAfterIt() throws Exception {
        CountDownLatch extending = new CountDownLatch(1);
        CountDownLatch letItFinish = new CountDownLatch(1);
        ExternalTaskService service = service(() -> {
            extending.countDown();
            try {
                letItFinish.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try (LockKeeper keeper = new LockKeeper()) {
            LockKeeper.Lease lease = keeper.keep(task("t1"), service, LOCK, reason -> {});
            assertThat(extending.await(5, TimeUnit.SECONDS))
                    .as("an extension is under way")
                    .isTrue();

            Thread reporter = new Thread(() -> {
                lease.release();
                calls.add("complete"); // what the task does once the lease is released
            });
            reporter.start();
            Thread.sleep(300);
            assertThat(calls).as("the report waits for the extension").doesNotContain("complete");
            letItFinish.countDown();
            reporter.join(5_000);

            assertThat(calls).containsSubsequence("extendLock:end", "complete");
            int completeAt = calls.indexOf("complete");
            Thread.sleep(1_200); // two more periods: no extension may start after the report
            assertThat(calls.subList(completeAt, calls.size())).containsExactly("complete");
        }
    }

    @Test
    void anErrorInAnExtensionDoesNotEndTheLockKeeping() throws Exception {
        AtomicInteger extensions = new AtomicInteger();
        ExternalTaskService service = service(() -> {
            if (extensions.incrementAndGet() == 1) {
                throw new OutOfMemoryError("test: the first extension runs out of memory");
            }
        });
        try (LockKeeper keeper = new LockKeeper()) {
            LockKeeper.Lease lease = keeper.keep(task("t2"), service, LOCK, reason -> {});
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (extensions.get() < 3 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            lease.release();
            assertThat(extensions.get()).as("extensions go on after the Error").isGreaterThanOrEqualTo(3);
        }
    }

    @Test
    void aLockRefusedBeforeTheRunStartsMeansTheTaskIsNotOurs() {
        ExternalTaskService service = service(() -> {
            throw new org.camunda.bpm.client.exception.BadRequestException(
                    "locked by worker w2",
                    new org.camunda.bpm.client.exception.RestException(
                            "locked by worker w2", "BadUserRequestException", 0));
        });
        List<String> lost = new CopyOnWriteArrayList<>();
        try (LockKeeper keeper = new LockKeeper()) {
            LockKeeper.Lease lease = keeper.keep(task("t3"), service, Duration.ofSeconds(60), lost::add);
            assertThat(lease.extendNow()).isFalse();
            assertThat(lost).singleElement().asString().contains("t3").contains("could not be extended");
            assertThat(lease.extendNow()).as("released for good").isFalse();
        }
    }
}
