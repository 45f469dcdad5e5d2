package io.qrvoucher.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.reactive.result.method.annotation.RequestMappingHandlerMapping;

/**
 * A request whose {@code Accept} the API cannot answer (XML, or no media type at all) is refused before it does
 * anything. The answer's format was chosen when it was written, after the handler had run: a generation froze its
 * amount, a redemption moved the money, and the client, told 406, sent it again.
 */
class UnacceptableAnswerTest extends IngressTestBase {

    @Autowired
    @Qualifier("requestMappingHandlerMapping")
    RequestMappingHandlerMapping mappings;

    @Test
    void aGenerationAskingForAnAnswerTheApiCannotGiveFreezesNothing() {
        ApiClient payer = customerWith(500_00L);
        Map<String, String> generation = Map.of("accountId", payer.customerId() + "-cny", "amount", "100.00",
                "currency", "CNY");
        payer.post("/api/vouchers").header("Accept", "application/xml").header("Prefer", "wait=20").bodyValue(generation)
                .exchange().expectStatus().isEqualTo(406)
                .expectBody().jsonPath("$.code").isEqualTo("NOT_ACCEPTABLE");
        // Refused too, with no problem in its body.
        payer.post("/api/vouchers").header("Accept", "no media type").header("Prefer", "wait=20").bodyValue(generation)
                .exchange().expectStatus().isEqualTo(406);

        assertThat(balanceOf(payer)).contains("\"held\":\"0.00\"").contains("\"available\":\"500.00\"");
    }

    @Test
    void aRedemptionAskingForAnAnswerTheApiCannotGiveLeavesTheVoucherUnused() {
        Map<String, Object> voucher = alice.issuedVoucher("20.00");

        bob.post("/api/redemptions").header("Accept", "application/xml").header("Prefer", "wait=20")
                .bodyValue(Map.of("code", voucher.get("code"), "accountId", "bob-cny"))
                .exchange().expectStatus().isEqualTo(406)
                .expectBody().jsonPath("$.code").isEqualTo("NOT_ACCEPTABLE");

        alice.get("/api/vouchers/" + voucher.get("id")).exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.status").isEqualTo("UNUSED");
    }

    /** So that the next call that changes something is refused before it runs, too. */
    @Test
    void everyCallOfTheApiThatChangesSomethingSaysWhatItAnswersBeforeItRuns() {
        assertThat(mappings.getHandlerMethods().keySet())
                .filteredOn(mapping -> mapping.getPatternsCondition().getPatterns().stream()
                        .anyMatch(pattern -> pattern.getPatternString().startsWith("/api/")))
                .filteredOn(mapping -> !mapping.getMethodsCondition().getMethods().contains(RequestMethod.GET))
                .isNotEmpty()
                .allSatisfy(mapping -> assertThat(mapping.getProducesCondition().getProducibleMediaTypes())
                        .as(mapping.toString()).isNotEmpty());
    }
}
