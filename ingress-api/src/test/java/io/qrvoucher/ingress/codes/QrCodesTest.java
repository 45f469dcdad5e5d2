package io.qrvoucher.ingress.codes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.UUID;

import org.junit.jupiter.api.Test;

class QrCodesTest {

    private final QrCodes qr = new QrCodes();

    @Test
    void aRenderedCodeDecodesToItsText() {
        for (int i = 0; i < 50; i++) {
            String code = "QRV1." + UUID.randomUUID() + ".AbCdEfGhIjKlMnOpQrStUv";

            assertThat(qr.decode(qr.render(code))).contains(code);
        }
    }

    @Test
    void askewCompressedPhotosOfCodesRead() {
        VoucherCodes codes = new VoucherCodes("a-code-secret-of-at-least-256-bits-long".getBytes());
        // Before the half-size retry, photo 132 of these did not read.
        for (int i = 0; i < 200; i++) {
            String code = codes.codeOf(new UUID(0, i).toString());

            assertThat(qr.decode(PhonePhotos.of(qr.render(code)))).as("photo %d", i).contains(code);
        }
    }

    @Test
    void aLargePictureIsDecodedAtAFewMegapixelsAndStillReads() throws Exception {
        String code = "QRV1.large-picture.tag";
        java.awt.image.BufferedImage rendered = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(qr.render(code)));
        java.awt.image.BufferedImage large = new java.awt.image.BufferedImage(4000, 4000, java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
        java.awt.Graphics2D g = large.createGraphics();
        g.drawImage(rendered, 0, 0, 4000, 4000, null);
        g.dispose();
        java.io.ByteArrayOutputStream png = new java.io.ByteArrayOutputStream();
        javax.imageio.ImageIO.write(large, "png", png);

        java.awt.image.BufferedImage decoded = QrCodes.read(png.toByteArray());
        assertThat((long) decoded.getWidth() * decoded.getHeight()).isLessThanOrEqualTo(QrCodes.MAX_DECODED_PIXELS);
        assertThat(qr.decode(png.toByteArray())).contains(code);
    }

    @Test
    void aSmallFileClaimingAGigapixelImageIsRefusedBeforeItIsDecoded() throws Exception {
        java.io.ByteArrayOutputStream png = new java.io.ByteArrayOutputStream();
        javax.imageio.ImageIO.write(new java.awt.image.BufferedImage(1, 1, java.awt.image.BufferedImage.TYPE_INT_RGB), "png", png);
        byte[] bomb = png.toByteArray();
        java.nio.ByteBuffer header = java.nio.ByteBuffer.wrap(bomb);
        header.putInt(16, 50_000).putInt(20, 50_000); // IHDR width and height
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(bomb, 12, 17);
        header.putInt(29, (int) crc.getValue());

        assertThatThrownBy(() -> qr.decode(bomb)).isInstanceOf(QrCodes.UnreadableImageException.class);
    }

    /** A decoder holds whole source rows whatever the subsampling: 16 million by 1 took hundreds of MB from 100 bytes. */
    @Test
    void aPictureOfFewPixelsButASideLongerThanAnyCamerasIsRefusedBeforeItIsDecoded() throws Exception {
        for (java.awt.Dimension size : java.util.List.of(new java.awt.Dimension(QrCodes.MAX_SIDE + 1, 1),
                new java.awt.Dimension(1, QrCodes.MAX_SIDE + 1))) {
            java.io.ByteArrayOutputStream png = new java.io.ByteArrayOutputStream();
            javax.imageio.ImageIO.write(new java.awt.image.BufferedImage(size.width, size.height,
                    java.awt.image.BufferedImage.TYPE_BYTE_GRAY), "png", png);

            assertThatThrownBy(() -> QrCodes.read(png.toByteArray())).as("%s", size)
                    .isInstanceOf(QrCodes.UnreadableImageException.class);
        }
        java.io.ByteArrayOutputStream longest = new java.io.ByteArrayOutputStream();
        javax.imageio.ImageIO.write(new java.awt.image.BufferedImage(QrCodes.MAX_SIDE, 1,
                java.awt.image.BufferedImage.TYPE_BYTE_GRAY), "png", longest);
        assertThat(QrCodes.read(longest.toByteArray()).getWidth()).isEqualTo(QrCodes.MAX_SIDE);
    }

    @Test
    void aQrCodeInAPictureFormatOtherThanPngOrJpegIsRefused() throws Exception {
        java.awt.image.BufferedImage image = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(qr.render("QRV1.x")));
        for (String format : new String[] {"bmp", "gif"}) {
            java.io.ByteArrayOutputStream other = new java.io.ByteArrayOutputStream();
            javax.imageio.ImageIO.write(image, format, other);

            assertThatThrownBy(() -> qr.decode(other.toByteArray())).as(format)
                    .isInstanceOf(QrCodes.UnreadableImageException.class);
        }
    }

    @Test
    void aProgressiveJpegReadsAndOneOfManyScansIsRefusedBeforeItIsDecoded() throws Exception {
        String code = "QRV1.progressive.tag";
        byte[] baseline = jpeg(code, false);
        byte[] progressive = jpeg(code, true);
        assertThat(QrCodes.jpegScans(baseline, 1_000)).isEqualTo(1);
        assertThat(QrCodes.jpegScans(progressive, 1_000)).isBetween(2, QrCodes.MAX_JPEG_SCANS);
        assertThat(qr.decode(progressive)).contains(code);

        // Its last scan again and again: each one more pass of the decoder over the whole picture.
        int lastScan = lastIndexOfScan(progressive);
        java.io.ByteArrayOutputStream manyScans = new java.io.ByteArrayOutputStream();
        manyScans.write(progressive, 0, progressive.length - 2);
        for (int i = 0; i < QrCodes.MAX_JPEG_SCANS; i++) {
            manyScans.write(progressive, lastScan, progressive.length - 2 - lastScan);
        }
        manyScans.write(new byte[] {(byte) 0xFF, (byte) 0xD9});

        assertThat(QrCodes.jpegScans(manyScans.toByteArray(), 1_000)).isGreaterThan(QrCodes.MAX_JPEG_SCANS);
        assertThatThrownBy(() -> qr.decode(manyScans.toByteArray())).isInstanceOf(QrCodes.UnreadableImageException.class);
        // Bytes the decoder steps over with a warning hide no scan from the count: stray data, a restart marker and
        // fill bytes between segments.
        for (byte[] strayBytes : new byte[][] {{0x00}, {(byte) 0xFF, (byte) 0xD0, (byte) 0xFF, (byte) 0xFF}}) {
            byte[] hidden = inserted(manyScans.toByteArray(), lastScan, strayBytes);
            assertThat(QrCodes.jpegScans(hidden, 1_000)).isGreaterThan(QrCodes.MAX_JPEG_SCANS);
            assertThatThrownBy(() -> qr.decode(hidden)).isInstanceOf(QrCodes.UnreadableImageException.class);
        }
    }

    private static byte[] inserted(byte[] bytes, int at, byte[] more) {
        byte[] joined = java.util.Arrays.copyOf(bytes, bytes.length + more.length);
        System.arraycopy(more, 0, joined, at, more.length);
        System.arraycopy(bytes, at, joined, at + more.length, bytes.length - at);
        return joined;
    }

    private byte[] jpeg(String code, boolean progressive) throws Exception {
        java.awt.image.BufferedImage image = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(qr.render(code)));
        java.awt.image.BufferedImage rgb = new java.awt.image.BufferedImage(image.getWidth(), image.getHeight(),
                java.awt.image.BufferedImage.TYPE_INT_RGB);
        rgb.createGraphics().drawImage(image, 0, 0, null);
        javax.imageio.ImageWriter writer = javax.imageio.ImageIO.getImageWritersByFormatName("jpeg").next();
        javax.imageio.ImageWriteParam param = writer.getDefaultWriteParam();
        if (progressive) {
            param.setProgressiveMode(javax.imageio.ImageWriteParam.MODE_DEFAULT);
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (javax.imageio.stream.ImageOutputStream stream = javax.imageio.ImageIO.createImageOutputStream(out)) {
            writer.setOutput(stream);
            writer.write(null, new javax.imageio.IIOImage(rgb, null, null), param);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }

    private static int lastIndexOfScan(byte[] jpeg) {
        for (int at = jpeg.length - 2; at > 0; at--) {
            if ((jpeg[at] & 0xFF) == 0xFF && (jpeg[at + 1] & 0xFF) == 0xDA) {
                return at;
            }
        }
        throw new IllegalArgumentException("no scan");
    }

    @Test
    void bytesThatAreNoPictureAreRefused() {
        assertThatThrownBy(() -> qr.decode(new byte[] {1, 2, 3})).isInstanceOf(QrCodes.UnreadableImageException.class);
    }
}
