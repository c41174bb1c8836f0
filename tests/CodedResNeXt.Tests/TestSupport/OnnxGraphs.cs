using System.Text;

namespace CodedResNeXt.Tests.TestSupport;

/// <summary>
/// ONNX files taken apart and put back together at the protobuf level, to make hostile graphs from a real export: its
/// metadata (valid) kept, nodes added or replaced. Field numbers are onnx.proto's.
/// </summary>
public static class OnnxGraphs
{
    public const int FloatType = 1, UInt8Type = 2, Int8Type = 3, Int64Type = 7, BoolType = 9, DoubleType = 11;

    /// <summary>One protobuf message as its fields, in order: a varint's value or a length-delimited field's bytes.</summary>
    public sealed class Message
    {
        public List<(int Field, int Wire, ulong Value, byte[]? Bytes)> Fields { get; } = [];

        public static Message Parse(byte[] bytes)
        {
            var message = new Message();
            int at = 0;
            while (at < bytes.Length)
            {
                ulong key = Varint(bytes, ref at);
                int field = (int)(key >> 3), wire = (int)(key & 7);
                switch (wire)
                {
                    case 0: message.Fields.Add((field, 0, Varint(bytes, ref at), null)); break;
                    case 2:
                        int length = (int)Varint(bytes, ref at);
                        message.Fields.Add((field, 2, 0, bytes[at..(at + length)]));
                        at += length;
                        break;
                    case 5: message.Fields.Add((field, 5, BitConverter.ToUInt32(bytes, at), null)); at += 4; break;
                    default: throw new InvalidDataException($"wire type {wire}");
                }
            }
            return message;
        }

        public IEnumerable<byte[]> All(int field) => Fields.Where(f => f.Field == field && f.Wire == 2).Select(f => f.Bytes!);
        public string String(int field) => Encoding.UTF8.GetString(All(field).First());

        public Message Remove(int field)
        {
            Fields.RemoveAll(f => f.Field == field);
            return this;
        }

        public Message Add(int field, byte[] bytes)
        {
            Fields.Add((field, 2, 0, bytes));
            return this;
        }

        public Message Add(int field, string text) => Add(field, Encoding.UTF8.GetBytes(text));

        public Message AddVarint(int field, long value)
        {
            Fields.Add((field, 0, (ulong)value, null));
            return this;
        }

        public byte[] ToArray()
        {
            var output = new MemoryStream();
            foreach (var (field, wire, value, bytes) in Fields)
            {
                WriteVarint(output, ((ulong)field << 3) | (ulong)wire);
                if (wire == 0) WriteVarint(output, value);
                else if (wire == 5) output.Write(BitConverter.GetBytes((uint)value));
                else
                {
                    WriteVarint(output, (ulong)bytes!.Length);
                    output.Write(bytes);
                }
            }
            return output.ToArray();
        }
    }

    private static ulong Varint(byte[] bytes, ref int at)
    {
        ulong value = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte b = bytes[at++];
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80) return value;
        }
    }

    private static void WriteVarint(Stream output, ulong value)
    {
        while (value >= 0x80)
        {
            output.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        output.WriteByte((byte)value);
    }

    public static byte[] Node(string op, string[] inputs, string[] outputs, params byte[][] attributes)
    {
        var node = new Message();
        foreach (var i in inputs) node.Add(1, i);
        foreach (var o in outputs) node.Add(2, o);
        node.Add(3, $"{op}_{outputs[0]}").Add(4, op);
        foreach (var a in attributes) node.Add(5, a);
        return node.ToArray();
    }

    public static byte[] IntAttribute(string name, long value) => new Message().Add(1, name).AddVarint(3, value).AddVarint(20, 2).ToArray();

    public static byte[] IntsAttribute(string name, params long[] values)
    {
        var attribute = new Message().Add(1, name);
        foreach (long v in values) attribute.AddVarint(8, v);
        return attribute.AddVarint(20, 7).ToArray();
    }

    public static byte[] GraphAttribute(string name, byte[] graph) => new Message().Add(1, name).Add(6, graph).AddVarint(20, 5).ToArray();

    public static byte[] Tensor(string name, long[] dims, int type, byte[] raw)
    {
        var tensor = new Message();
        foreach (long d in dims) tensor.AddVarint(1, d);
        return tensor.AddVarint(2, type).Add(8, name).Add(9, raw).ToArray();
    }

    public static byte[] FloatTensor(string name, long[] dims, params float[] values) =>
        Tensor(name, dims, FloatType, values.SelectMany(BitConverter.GetBytes).ToArray());

    public static byte[] Int64Tensor(string name, params long[] values) =>
        Tensor(name, [values.Length], Int64Type, values.SelectMany(BitConverter.GetBytes).ToArray());

    /// <summary>A tensor value's name, element type and shape; a string dimension is symbolic.</summary>
    public static byte[] ValueInfo(string name, int type, params object[] dims)
    {
        var shape = new Message();
        foreach (var d in dims)
            shape.Add(1, d is string param ? new Message().Add(2, param).ToArray() : new Message().AddVarint(1, Convert.ToInt64(d)).ToArray());
        var tensorType = new Message().AddVarint(1, type).Add(2, shape.ToArray());
        return new Message().Add(1, name).Add(2, new Message().Add(1, tensorType.ToArray()).ToArray()).ToArray();
    }

    /// <summary>An exported file taken apart: the model message and its graph.</summary>
    public sealed record Exported(Message Model, Message Graph)
    {
        public static Exported Read(string path)
        {
            var model = Message.Parse(File.ReadAllBytes(path));
            return new Exported(model, Message.Parse(model.All(7).Single()));
        }

        /// <summary>The nodes, with the one producing <paramref name="output"/> made to produce <paramref name="renamed"/> instead.</summary>
        public Exported Rename(string output, string renamed)
        {
            for (int i = 0; i < Graph.Fields.Count; i++)
            {
                if (Graph.Fields[i].Field != 1) continue;
                var node = Message.Parse(Graph.Fields[i].Bytes!);
                var outputs = node.Fields.FindIndex(f => f.Field == 2 && Encoding.UTF8.GetString(f.Bytes!) == output);
                if (outputs < 0) continue;
                node.Fields[outputs] = (2, 2, 0, Encoding.UTF8.GetBytes(renamed));
                Graph.Fields[i] = (1, 2, 0, node.ToArray());
            }
            return this;
        }

        /// <summary>Every node that reads <paramref name="input"/> reads <paramref name="renamed"/> instead.</summary>
        public Exported Redirect(string input, string renamed)
        {
            for (int i = 0; i < Graph.Fields.Count; i++)
            {
                if (Graph.Fields[i].Field != 1) continue;
                var node = Message.Parse(Graph.Fields[i].Bytes!);
                for (int j = 0; j < node.Fields.Count; j++)
                    if (node.Fields[j].Field == 1 && Encoding.UTF8.GetString(node.Fields[j].Bytes!) == input) node.Fields[j] = (1, 2, 0, Encoding.UTF8.GetBytes(renamed));
                Graph.Fields[i] = (1, 2, 0, node.ToArray());
            }
            return this;
        }

        /// <summary>Nodes added after the others (<paramref name="first"/>: before them), initializers beside the others.</summary>
        public Exported With(IEnumerable<byte[]> nodes, IEnumerable<byte[]>? initializers = null, bool first = false)
        {
            var added = nodes.Select(n => (1, 2, 0UL, (byte[]?)n)).ToList();
            if (first) Graph.Fields.InsertRange(Graph.Fields.FindIndex(f => f.Field == 1), added);
            else Graph.Fields.InsertRange(Graph.Fields.FindLastIndex(f => f.Field == 1) + 1, added);
            foreach (var t in initializers ?? []) Graph.Fields.Insert(Graph.Fields.FindLastIndex(f => f.Field == 1) + 1, (5, 2, 0UL, t));
            return this;
        }

        /// <summary>Graph field <paramref name="field"/> (11 inputs, 12 outputs) replaced where its name is <paramref name="name"/>.</summary>
        public Exported Replace(int field, string name, byte[] valueInfo)
        {
            int at = Graph.Fields.FindIndex(f => f.Field == field && Message.Parse(f.Bytes!).String(1) == name);
            Graph.Fields[at] = (field, 2, 0, valueInfo);
            return this;
        }

        public void Write(string path)
        {
            int graph = Model.Fields.FindIndex(f => f.Field == 7);
            Model.Fields[graph] = (7, 2, 0, Graph.ToArray());
            File.WriteAllBytes(path, Model.ToArray());
        }
    }
}
