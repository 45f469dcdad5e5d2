package io.qrvoucher.ingress.codes;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;

import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

import com.google.zxing.BarcodeFormat;
import com.google.zxing.BinaryBitmap;
import com.google.zxing.DecodeHintType;
import com.google.zxing.EncodeHintType;
import com.google.zxing.LuminanceSource;
import com.google.zxing.ReaderException;
import com.google.zxing.WriterException;
import com.google.zxing.client.j2se.BufferedImageLuminanceSource;
import com.google.zxing.client.j2se.MatrixToImageWriter;
import com.google.zxing.common.BitMatrix;
import com.google.zxing.common.HybridBinarizer;
import com.google.zxing.qrcode.QRCodeReader;
import com.google.zxing.qrcode.QRCodeWriter;
import com.google.zxing.qrcode.decoder.ErrorCorrectionLevel;

/**
 * QR pictures of bearer codes. Rendered at 480 px with error correction Q (25% of the symbol may be
 * lost) and a four-module quiet zone, so that a phone photo of a screen still reads. Decoding tries
 * the exact path for clean renders first, then the slower one for photos.
 */
public final class QrCodes {

    private static final int SIZE = 480;
    /** 16 megapixels: far more than any phone photo of a QR code needs. */
    private static final long MAX_PIXELS = 16_000_000L;
    /**
     * The longest side read: no phone camera's picture is wider or taller. The decoders hold whole source rows (the PNG
     * reader two of them and a raster row, at up to 8 bytes a pixel, whatever the subsampling; the JPEG reader a band of
     * rows), so a picture of few pixels but one long side, 16 million by 1, took hundreds of MB from a file of 100 bytes.
     */
    static final int MAX_SIDE = 16_384;
    /**
     * A larger picture is decoded with every second (third, …) pixel of every second row, to at most this many:
     * a QR code reads as well, and memory does not follow the picture's pixel format (16-bit RGBA takes 8 bytes a
     * pixel: 128 MB for 16 megapixels, from a file of a few hundred KB).
     */
    static final long MAX_DECODED_PIXELS = 4_000_000L;
    /**
     * The most scans a JPEG may have. A progressive JPEG is decoded once over the whole picture for each of its scans,
     * and a small file can hold tens of thousands of them (each a few bytes), keeping a decoder busy for minutes; a
     * camera's or a phone's progressive JPEG has about ten, a baseline one one.
     */
    static final int MAX_JPEG_SCANS = 100;

    public byte[] render(String content) {
        Map<EncodeHintType, Object> hints = new EnumMap<>(EncodeHintType.class);
        hints.put(EncodeHintType.ERROR_CORRECTION, ErrorCorrectionLevel.Q);
        hints.put(EncodeHintType.MARGIN, 4);
        hints.put(EncodeHintType.CHARACTER_SET, "UTF-8");
        try {
            BitMatrix matrix = new QRCodeWriter().encode(content, BarcodeFormat.QR_CODE, SIZE, SIZE, hints);
            ByteArrayOutputStream png = new ByteArrayOutputStream();
            MatrixToImageWriter.writeToStream(matrix, "PNG", png);
            return png.toByteArray();
        } catch (WriterException e) {
            throw new IllegalArgumentException("Cannot render a QR code of " + content.length() + " characters", e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The text of the QR code in a PNG or JPEG picture.
     *
     * @throws UnreadableImageException when the bytes are not a picture this server reads
     * @return empty when the picture holds no readable QR code
     */
    public Optional<String> decode(byte[] picture) {
        BufferedImage image = read(picture);
        LuminanceSource source = new BufferedImageLuminanceSource(image);
        return read(source, Map.of(DecodeHintType.PURE_BARCODE, Boolean.TRUE))
                .or(() -> read(source, Map.of(DecodeHintType.TRY_HARDER, Boolean.TRUE)))
                // About one askew, compressed photo in a hundred defeats the detector at full size and
                // reads at half size, where the compression noise is averaged away.
                .or(() -> read(new BufferedImageLuminanceSource(halfSize(image)), Map.of(DecodeHintType.TRY_HARDER, Boolean.TRUE)));
    }

    private static BufferedImage halfSize(BufferedImage image) {
        BufferedImage half = new BufferedImage(Math.max(1, image.getWidth() / 2), Math.max(1, image.getHeight() / 2),
                BufferedImage.TYPE_INT_RGB);
        Graphics2D g = half.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(image, 0, 0, half.getWidth(), half.getHeight(), null);
        g.dispose();
        return half;
    }

    /**
     * Reads the picture, after checking that it is a PNG or JPEG by its first bytes (the only decoders a
     * picture reaches: not whatever format ImageIO would guess) and from its header that its pixels fit
     * in memory: a small file can claim to be a gigapixel image, or one of a single row a million pixels long.
     */
    static BufferedImage read(byte[] picture) {
        String format = formatOf(picture).orElseThrow(UnreadableImageException::new);
        if (format.equals("jpeg") && jpegScans(picture, MAX_JPEG_SCANS + 1) > MAX_JPEG_SCANS) {
            throw new UnreadableImageException();
        }
        try (ImageInputStream input = ImageIO.createImageInputStream(new ByteArrayInputStream(picture))) {
            Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(format);
            if (input == null || !readers.hasNext()) {
                throw new UnreadableImageException();
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(input, true, true);
                int width = reader.getWidth(0);
                int height = reader.getHeight(0);
                if (width > MAX_SIDE || height > MAX_SIDE || (long) width * height > MAX_PIXELS) {
                    throw new UnreadableImageException();
                }
                ImageReadParam param = reader.getDefaultReadParam();
                int step = 1;
                while (decoded(width, step) * decoded(height, step) > MAX_DECODED_PIXELS) {
                    step++;
                }
                if (step > 1) {
                    param.setSourceSubsampling(step, step, 0, 0);
                }
                return reader.read(0, param);
            } finally {
                reader.dispose();
            }
        } catch (UnreadableImageException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new UnreadableImageException();
        }
    }

    /** Pixels along a side decoded with every {@code step}-th one taken, the first included. */
    private static long decoded(int length, int step) {
        return (length + step - 1L) / step;
    }

    private static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    private static final byte[] JPEG = {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF};

    /** "png" or "jpeg" by the picture's magic bytes; empty for anything else. */
    static Optional<String> formatOf(byte[] picture) {
        if (startsWith(picture, PNG)) {
            return Optional.of("png");
        }
        return startsWith(picture, JPEG) ? Optional.of("jpeg") : Optional.empty();
    }

    /**
     * How many scans (start-of-scan markers) the JPEG holds, counted up to {@code enough}, walking its markers as the
     * decoder does (libjpeg's {@code next_marker}): bytes between segments that are no marker, a stuffed 0xFF and
     * fill bytes are stepped over, restart markers and TEM carry no length, other segments are skipped by theirs, and
     * each scan's entropy-coded data up to the next marker. Counted otherwise, such bytes, which the decoder only
     * warns of, would hide the scans after them.
     */
    static int jpegScans(byte[] jpeg, int enough) {
        int scans = 0;
        int at = 2; // after the start of image
        while (scans < enough && at + 1 < jpeg.length) {
            int marker = jpeg[at + 1] & 0xFF;
            if ((jpeg[at] & 0xFF) != 0xFF || marker == 0xFF) { // no marker here (extraneous data), or a fill byte
                at++;
            } else if (marker == 0x00 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) { // without a length
                at += 2;
            } else if (marker == 0xD8 || marker == 0xD9 || at + 3 >= jpeg.length) { // a second start, the end
                return scans;
            } else {
                at += 2 + (((jpeg[at + 2] & 0xFF) << 8) | (jpeg[at + 3] & 0xFF));
                if (marker == 0xDA) { // start of scan: its header, then its data up to the next marker
                    scans++;
                    while (at + 1 < jpeg.length && !isMarker(jpeg[at], jpeg[at + 1])) {
                        at++;
                    }
                }
            }
        }
        return scans;
    }

    /** Whether the two bytes are a marker, not a stuffed 0xFF or a restart marker within a scan's data. */
    private static boolean isMarker(byte first, byte second) {
        int code = second & 0xFF;
        return (first & 0xFF) == 0xFF && code != 0x00 && (code < 0xD0 || code > 0xD7);
    }

    private static boolean startsWith(byte[] bytes, byte[] prefix) {
        return bytes != null && bytes.length >= prefix.length
                && java.util.Arrays.equals(bytes, 0, prefix.length, prefix, 0, prefix.length);
    }

    private static Optional<String> read(LuminanceSource source, Map<DecodeHintType, ?> hints) {
        try {
            return Optional.of(new QRCodeReader().decode(new BinaryBitmap(new HybridBinarizer(source)), hints).getText());
        } catch (ReaderException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The upload is not a PNG or JPEG picture of a size this server decodes. */
    public static final class UnreadableImageException extends RuntimeException {
        UnreadableImageException() {
            super("Not a PNG or JPEG picture");
        }
    }
}
