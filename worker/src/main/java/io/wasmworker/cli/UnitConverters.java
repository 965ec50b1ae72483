package io.wasmworker.cli;

import io.wasmworker.daemon.config.Units;
import java.time.Duration;
import picocli.CommandLine.ITypeConverter;

/** Picocli converters for options that take a size or a duration, in the configuration's syntax ({@link Units}). */
final class UnitConverters {
    private UnitConverters() {}

    static final class SizeConverter implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            return Units.parseSize(value);
        }
    }

    static final class DurationConverter implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            return Units.parseDuration(value);
        }
    }
}
