package io.qrvoucher.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;

import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.server.ServerWebInputException;
import org.springframework.web.server.UnsupportedMediaTypeStatusException;

class ProblemsTest {

    @Test
    void aProblemCarriesItsCodeAsTypeTitleAndMember() {
        ProblemDetail problem = Problems.problem(HttpStatus.UNPROCESSABLE_CONTENT, "INSUFFICIENT_FUNDS", "Not enough");

        assertThat(problem.getStatus()).isEqualTo(422);
        assertThat(problem.getType()).isEqualTo(URI.create("urn:qrvoucher:problem:insufficient-funds"));
        assertThat(problem.getTitle()).isEqualTo("Insufficient funds");
        assertThat(problem.getProperties()).containsEntry("code", "INSUFFICIENT_FUNDS");
        assertThat(problem.getDetail()).isEqualTo("Not enough");
    }

    @Test
    void aFrameworkProblemIsGivenACodeByItsStatus() {
        ServerWebInputException malformed = new ServerWebInputException("Failed to read HTTP message");

        Problems.codeFrameworkProblem(malformed, null, HttpStatus.BAD_REQUEST);

        assertThat(malformed.getBody().getProperties()).containsEntry("code", "MALFORMED_REQUEST");
        assertThat(malformed.getBody().getType()).isEqualTo(URI.create("urn:qrvoucher:problem:malformed-request"));
    }

    @Test
    void aBodyGivenBesideTheErrorIsTheOneCoded() {
        UnsupportedMediaTypeStatusException unsupported = new UnsupportedMediaTypeStatusException("text/plain");
        ProblemDetail body = ProblemDetail.forStatus(HttpStatus.UNSUPPORTED_MEDIA_TYPE);

        Problems.codeFrameworkProblem(unsupported, body, HttpStatus.UNSUPPORTED_MEDIA_TYPE);

        assertThat(body.getProperties()).containsEntry("code", "UNSUPPORTED_MEDIA_TYPE");
        assertThat(unsupported.getBody().getProperties()).isNull();
    }

    @Test
    void aProblemWithACodeKeepsIt() {
        ProblemDetail ours = Problems.problem(HttpStatus.BAD_REQUEST, "INVALID_AMOUNT", "Amount must be positive");

        Problems.codeFrameworkProblem(new IllegalStateException(), ours, HttpStatus.BAD_REQUEST);

        assertThat(ours.getProperties()).containsEntry("code", "INVALID_AMOUNT");
        assertThat(ours.getType()).isEqualTo(URI.create("urn:qrvoucher:problem:invalid-amount"));
    }
}
