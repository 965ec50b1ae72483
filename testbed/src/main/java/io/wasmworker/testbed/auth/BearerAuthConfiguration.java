package io.wasmworker.testbed.auth;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * An engine started with {@code --testbed.bearer-key=KEY} answers {@code /engine-rest} only to
 * requests with a valid, unexpired {@link BearerTokens} token under that key; anything else gets 401
 * and a log line {@code bearer refused METHOD PATH: REASON} (tests read the engine's log).
 */
@Configuration
@ConditionalOnProperty("testbed.bearer-key")
public class BearerAuthConfiguration {
    private static final Logger LOG = LoggerFactory.getLogger(BearerAuthConfiguration.class);

    @Bean
    FilterRegistrationBean<OncePerRequestFilter> bearerFilter(@Value("${testbed.bearer-key}") String key) {
        BearerTokens tokens = BearerTokens.ofKey(key);
        OncePerRequestFilter filter = new OncePerRequestFilter() {
            @Override
            protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
                    throws ServletException, IOException {
                String header = request.getHeader("Authorization");
                String problem = header == null
                        ? "no Authorization header"
                        : !header.startsWith("Bearer ") ? "not a bearer token" : tokens.problem(header.substring(7));
                if (problem != null) {
                    LOG.warn("bearer refused {} {}: {}", request.getMethod(), request.getRequestURI(), problem);
                    response.setHeader("WWW-Authenticate", "Bearer error=\"invalid_token\"");
                    response.sendError(HttpServletResponse.SC_UNAUTHORIZED, problem);
                    return;
                }
                chain.doFilter(request, response);
            }
        };
        FilterRegistrationBean<OncePerRequestFilter> registration = new FilterRegistrationBean<>(filter);
        registration.addUrlPatterns("/engine-rest/*");
        return registration;
    }
}
