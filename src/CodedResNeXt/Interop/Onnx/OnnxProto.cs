using Google.Protobuf;

namespace CodedResNeXt.Interop.Onnx;

/// <summary>
/// The few messages of onnx.proto (IR version 8) an exported network needs, written field by field with
/// Google.Protobuf's <see cref="CodedOutputStream"/>. No NuGet package ships ONNX's generated types, and a
/// writer of this subset is smaller than a build-time protoc step. Field numbers are those of onnx.proto.
/// </summary>
internal static class OnnxProto
{
    public const int IrVersion = 8;
    public const int Opset = 17;

    // TensorProto.DataType
    public const int Float = 1;
    public const int UInt8 = 2;
    public const int Int8 = 3;
    public const int Int32 = 6;
    public const int Int64 = 7;

    // AttributeProto.AttributeType
    private const int AttributeFloat = 1, AttributeInt = 2, AttributeInts = 7;

    /// <summary>One message being built: fields are appended in the order they are given.</summary>
    public sealed class Message
    {
        private readonly MemoryStream _bytes = new();
        private readonly CodedOutputStream _out;

        public Message() => _out = new CodedOutputStream(_bytes, leaveOpen: true);

        public Message Int(int field, long value)
        {
            _out.WriteTag(field, WireFormat.WireType.Varint);
            _out.WriteInt64(value);
            return this;
        }

        public Message Float32(int field, float value)
        {
            _out.WriteTag(field, WireFormat.WireType.Fixed32);
            _out.WriteFloat(value);
            return this;
        }

        public Message String(int field, string value)
        {
            _out.WriteTag(field, WireFormat.WireType.LengthDelimited);
            _out.WriteString(value);
            return this;
        }

        public Message Bytes(int field, ReadOnlySpan<byte> value)
        {
            _out.WriteTag(field, WireFormat.WireType.LengthDelimited);
            _out.WriteBytes(ByteString.CopyFrom(value));
            return this;
        }

        public Message Nested(int field, Message value) => Bytes(field, value.ToArray());

        /// <summary>A repeated int64 field, packed (proto3 style, which proto2 parsers accept too).</summary>
        public Message PackedInts(int field, IEnumerable<long> values)
        {
            var packed = new Message();
            foreach (long v in values) packed._out.WriteInt64(v);
            return Bytes(field, packed.ToArray());
        }

        public byte[] ToArray()
        {
            _out.Flush();
            return _bytes.ToArray();
        }
    }

    public static Message Tensor(string name, long[] dims, ReadOnlySpan<float> values)
    {
        var raw = new byte[values.Length * sizeof(float)];
        // raw_data is little-endian by the ONNX spec, as is every platform .NET runs this on.
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(values).CopyTo(raw);
        return new Message().PackedInts(1, dims).Int(2, Float).String(8, name).Bytes(9, raw);
    }

    public static Message Tensor(string name, long[] dims, ReadOnlySpan<long> values)
    {
        var raw = new byte[values.Length * sizeof(long)];
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(values).CopyTo(raw);
        return new Message().PackedInts(1, dims).Int(2, Int64).String(8, name).Bytes(9, raw);
    }

    /// <summary>A tensor of any element type from its little-endian bytes (the quantized graph's int8, uint8 and int32 values).</summary>
    public static Message Tensor(string name, long[] dims, int dataType, byte[] raw) =>
        new Message().PackedInts(1, dims).Int(2, dataType).String(8, name).Bytes(9, raw);

    public static Message Node(string opType, string name, string[] inputs, string[] outputs, params Message[] attributes)
    {
        var node = new Message();
        foreach (var i in inputs) node.String(1, i);
        foreach (var o in outputs) node.String(2, o);
        node.String(3, name).String(4, opType);
        foreach (var a in attributes) node.Nested(5, a);
        return node;
    }

    public static Message IntAttribute(string name, long value) => new Message().String(1, name).Int(3, value).Int(20, AttributeInt);

    public static Message FloatAttribute(string name, float value) => new Message().String(1, name).Float32(2, value).Int(20, AttributeFloat);

    public static Message IntsAttribute(string name, params long[] values)
    {
        var attribute = new Message().String(1, name);
        // AttributeProto.ints is declared without [packed = true] in proto2: write one tag per element.
        foreach (long v in values) attribute.Int(8, v);
        return attribute.Int(20, AttributeInts);
    }

    /// <summary>A float tensor's name and shape; a null dimension is the symbolic "batch".</summary>
    public static Message ValueInfo(string name, params long?[] dims)
    {
        var shape = new Message();
        foreach (var d in dims)
            shape.Nested(1, d is long value ? new Message().Int(1, value) : new Message().String(2, "batch"));
        var tensorType = new Message().Int(1, Float).Nested(2, shape);
        return new Message().String(1, name).Nested(2, new Message().Nested(1, tensorType));
    }

    /// <summary>A float tensor's name with no shape (the calibration graph's taps, whose shapes ONNX Runtime infers).</summary>
    public static Message ValueInfoAnyShape(string name) =>
        new Message().String(1, name).Nested(2, new Message().Nested(1, new Message().Int(1, Float)));

    public static Message Graph(string name, IEnumerable<Message> nodes, IEnumerable<Message> initializers,
        IEnumerable<Message> inputs, IEnumerable<Message> outputs)
    {
        var graph = new Message();
        foreach (var n in nodes) graph.Nested(1, n);
        graph.String(2, name);
        foreach (var t in initializers) graph.Nested(5, t);
        foreach (var i in inputs) graph.Nested(11, i);
        foreach (var o in outputs) graph.Nested(12, o);
        return graph;
    }

    public static byte[] Model(Message graph, string producerVersion, IEnumerable<KeyValuePair<string, string>> metadata)
    {
        var model = new Message()
            .Int(1, IrVersion)
            .String(2, "crx")
            .String(3, producerVersion)
            .Nested(7, graph)
            .Nested(8, new Message().String(1, "").Int(2, Opset));
        foreach (var (key, value) in metadata) model.Nested(14, new Message().String(1, key).String(2, value));
        return model.ToArray();
    }
}
