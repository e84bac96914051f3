package org.stemstream.node.cli;

import picocli.CommandLine;

/** A scan size given as {@code WxH}, e.g. {@code 64x64}. */
public record ScanSize(int width, int height) {
    public ScanSize {
        if (width < 1 || height < 1 || width > 0xFFFF || height > 0xFFFF) {
            throw new IllegalArgumentException("a scan is 1 to 65535 positions wide and high, got " + width + "x"
                    + height);
        }
    }

    @Override
    public String toString() {
        return width + "x" + height;
    }

    public static final class Converter implements CommandLine.ITypeConverter<ScanSize> {
        @Override
        public ScanSize convert(String value) {
            String[] parts = value.toLowerCase(java.util.Locale.ROOT).split("x");
            try {
                if (parts.length == 2) {
                    return new ScanSize(Integer.parseInt(parts[0].strip()), Integer.parseInt(parts[1].strip()));
                }
            } catch (NumberFormatException e) {
                // fall through to the message below
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
            throw new CommandLine.TypeConversionException("'" + value + "' is not a scan size WxH such as 64x64");
        }
    }
}
