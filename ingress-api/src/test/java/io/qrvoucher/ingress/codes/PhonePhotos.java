package io.qrvoucher.ingress.codes;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/** Pictures of a QR code as a payee's phone takes them, for the tests. */
public final class PhonePhotos {

    private PhonePhotos() {
    }

    /** A phone photo of a screen showing {@code png}: smaller, a few degrees askew, on a grey background, JPEG-compressed. */
    public static byte[] of(byte[] png) {
        try {
            BufferedImage qr = ImageIO.read(new ByteArrayInputStream(png));
            BufferedImage photo = new BufferedImage(420, 420, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = photo.createGraphics();
            g.setColor(new Color(190, 190, 185));
            g.fillRect(0, 0, 420, 420);
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.rotate(Math.toRadians(4), 210, 210);
            g.drawImage(qr, 40, 40, 340, 340, null);
            g.dispose();
            ImageWriter jpeg = ImageIO.getImageWritersByFormatName("jpeg").next();
            ImageWriteParam quality = jpeg.getDefaultWriteParam();
            quality.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            quality.setCompressionQuality(0.5f);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
                jpeg.setOutput(out);
                jpeg.write(null, new IIOImage(photo, null, null), quality);
            }
            jpeg.dispose();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
