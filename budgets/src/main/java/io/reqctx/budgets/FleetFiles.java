package io.reqctx.budgets;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Descriptors;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads budget files (YAML, format in {@code docs/BUDGETS.md}) into a {@link Fleet}, together with the
 * proto descriptor sets the file lists under {@code protos:} and any given here.
 *
 * <pre>{@code
 * Fleet fleet = FleetFiles.read(Path.of("fleet.yaml"));
 * Fleet withProtos = FleetFiles.read(Path.of("fleet.yaml"), List.of(Path.of("build/protos.pb")));
 * Fleet inline = FleetFiles.parse("fleet.yaml", yamlText, ProtoFleets.declarations(List.of(CacheServiceProto.getDescriptor())));
 * }</pre>
 */
public final class FleetFiles {
  private FleetFiles() {}

  /**
   * Reads {@code file} and the descriptor sets it lists (paths relative to the file's folder).
   *
   * @throws FleetFormatException when the file or a descriptor set is not readable as a fleet
   * @throws IOException when a file cannot be read
   */
  public static Fleet read(Path file) throws IOException {
    return read(file, List.of());
  }

  /**
   * Reads {@code file}, the descriptor sets it lists and {@code descriptorSets} (paths as given).
   *
   * @throws FleetFormatException when the file or a descriptor set is not readable as a fleet
   * @throws IOException when a file cannot be read
   */
  public static Fleet read(Path file, List<Path> descriptorSets) throws IOException {
    requireNonNull(file, "file");
    requireNonNull(descriptorSets, "descriptorSets");
    String name = file.toString();
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(Files.readAllBytes(file))).toString();
    } catch (NoSuchFileException e) {
      throw new FleetFormatException(Location.file(name), "no such file");
    } catch (CharacterCodingException e) {
      throw new FleetFormatException(Location.file(name), "not UTF-8 text", e);
    }
    YamlFleetReader.Parsed parsed = YamlFleetReader.parse(name, text);
    List<Descriptors.FileDescriptor> files = new ArrayList<>();
    Path folder = file.toAbsolutePath().getParent();
    for (YamlFleetReader.ProtoFile proto : parsed.protoFiles()) {
      Path path = folder.resolve(proto.path());
      if (!Files.isRegularFile(path)) {
        throw new FleetFormatException(proto.location(), "descriptor set " + proto.path() + " not found (looked at " + path
            + "); build it with protoc --include_imports --include_source_info -o " + proto.path() + " <your .proto files>");
      }
      files.addAll(ProtoFleets.readDescriptorSet(path));
    }
    for (Path set : descriptorSets) {
      if (!Files.isRegularFile(set)) {
        throw new FleetFormatException(Location.file(set.toString()), "descriptor set not found");
      }
      files.addAll(ProtoFleets.readDescriptorSet(set));
    }
    return parsed.build(ProtoFleets.declarations(dedupe(files)));
  }

  /**
   * Reads budget-file text; {@code protos} stands for the file's proto sources (its {@code protos:}
   * entries are not read: the caller passes what they name).
   *
   * @param fileName the name findings carry
   * @throws FleetFormatException when the text is not a valid budget file
   */
  public static Fleet parse(String fileName, String text, List<ProtoDeclaration> protos) {
    requireNonNull(fileName, "fileName");
    requireNonNull(text, "text");
    requireNonNull(protos, "protos");
    return YamlFleetReader.parse(fileName, text).build(protos);
  }

  /** A file that two descriptor sets both carry is read once. */
  private static List<Descriptors.FileDescriptor> dedupe(List<Descriptors.FileDescriptor> files) {
    List<String> seen = new ArrayList<>();
    List<Descriptors.FileDescriptor> unique = new ArrayList<>();
    for (Descriptors.FileDescriptor file : files) {
      if (!seen.contains(file.getName())) {
        seen.add(file.getName());
        unique.add(file);
      }
    }
    return unique;
  }
}
