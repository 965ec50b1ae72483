package io.wasmworker.daemon.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.JsonParserDelegate;
import java.io.IOException;
import java.io.Writer;

/**
 * The YAML parser with {@link Environment} variables replaced in string values as they are read.
 * Keys are left as written; locations are the parser's own, so errors still name the line.
 */
final class EnvironmentParser extends JsonParserDelegate {
    private final Environment environment;

    EnvironmentParser(JsonParser parser, Environment environment) {
        super(parser);
        this.environment = environment;
    }

    private String value() throws IOException {
        return environment.substitute(delegate.getText());
    }

    private boolean isValue() {
        return delegate.currentToken() == JsonToken.VALUE_STRING;
    }

    @Override
    public String getText() throws IOException {
        return isValue() ? value() : delegate.getText();
    }

    @Override
    public String getValueAsString() throws IOException {
        return isValue() ? value() : delegate.getValueAsString();
    }

    @Override
    public String getValueAsString(String defaultValue) throws IOException {
        return isValue() ? value() : delegate.getValueAsString(defaultValue);
    }

    @Override
    public boolean hasTextCharacters() {
        return !isValue() && delegate.hasTextCharacters();
    }

    @Override
    public char[] getTextCharacters() throws IOException {
        return isValue() ? value().toCharArray() : delegate.getTextCharacters();
    }

    @Override
    public int getTextLength() throws IOException {
        return isValue() ? value().length() : delegate.getTextLength();
    }

    @Override
    public int getTextOffset() throws IOException {
        return isValue() ? 0 : delegate.getTextOffset();
    }

    @Override
    public int getText(Writer writer) throws IOException {
        if (!isValue()) {
            return delegate.getText(writer);
        }
        String text = value();
        writer.write(text);
        return text.length();
    }
}
