using System.Buffers.Binary;
using System.Text;
using CodedResNeXt.BinaryClassifiers;
using CodedResNeXt.Model;
using CodedResNeXt.ModelFiles;

namespace CodedResNeXt.Interop.Onnx;

/// <summary>
/// An ONNX graph is a program ONNX Runtime runs, so a file from outside is checked to be a graph of the shape
/// <see cref="OnnxExport"/> writes before ONNX Runtime sees it: its protobuf is read here (every field known; no
/// subgraph, function, external data or sparse tensor), every node is one of the operators the export uses, or
/// QuantizeLinear/DequantizeLinear of a quantized (QDQ) graph, with the attributes the export gives them, and the
/// shape of every value is inferred from the input the metadata promises, at batch 1, 2 and 3:
/// <list type="bullet">
/// <item>the input is "images" [batch, C, H, W] and the outputs "logits" [batch, outputs] and each coded block's
/// "energies.i" [batch, N], float, as the metadata's architecture says;</item>
/// <item>no value grows faster than the batch (a value of 1 image is at most 1/2 of 2 images', 1/3 of 3 images');</item>
/// <item>per image, no value holds more than the architecture's activations (<see cref="ArchitectureSpec"/>'s estimate,
/// each layer's output counted once), all values together at most <see cref="TotalFactor"/> times that, and the
/// multiply-adds of the convolutions and products at most <see cref="WorkFactor"/> times the architecture's
/// (<see cref="ComputeCost"/>) plus the elementwise work; the weights must be in the file (at least a quarter of the
/// architecture's estimated parameters; an export holds 0.64 to 1 of them), so a small file cannot claim a large network.</item>
/// </list>
/// The check reads every byte once and visits every node a constant number of times per batch size: linear in the
/// file. What ONNX Runtime then allocates and computes per image is bounded by the architecture the metadata
/// declares, which <see cref="ModelFile.Checked"/> has bounded by this machine's memory.
/// </summary>
internal static class OnnxGraphCheck
{
    /// <summary>All values of one image together, in units of the architecture's activation estimate (the exports of the presets need 1.2 to 1.4).</summary>
    public const double TotalFactor = 4;
    /// <summary>Multiply-adds of one image, in units of the architecture's <see cref="ComputeCost"/> (the exports need 1.01 to 1.3).</summary>
    public const double WorkFactor = 2;

    /// <summary>The opset versions a graph may import: the export's 17, and the range quantization tools write.</summary>
    private const long MinOpset = 13, MaxOpset = 22;

    // TensorProto.DataType
    private const int Float = 1, UInt8 = 2, Int8 = 3, Int32 = 6, Int64 = 7, Bool = 9;

    /// <summary>A file that is not what crx export writes; said of the file by the caller.</summary>
    private sealed class Refused(string problem) : Exception(problem);

    /// <summary>
    /// The metadata of an exported file after its graph has passed the checks above; an <see cref="InvalidInputException"/>
    /// naming <paramref name="path"/> otherwise.
    /// </summary>
    public static ModelMetadata Check(byte[] file, string path)
    {
        ModelProto model;
        try { model = ReadModel(file); }
        catch (Refused e) { throw InvalidInputException.ForFile(path, $"not an ONNX graph crx export writes: {e.Message}"); }
        var meta = OnnxMetadata.Parse(model.Properties, path);
        try { CheckGraph(model, meta); }
        catch (Refused e) { throw InvalidInputException.ForFile(path, $"not an ONNX graph crx export writes: {e.Message}"); }
        return meta;
    }

    /// <summary>An ONNX file's metadata_props, its protobuf read as <see cref="Check"/> reads it (the graph not checked).</summary>
    public static IReadOnlyDictionary<string, string> Properties(byte[] file, string path)
    {
        try { return ReadModel(file).Properties; }
        catch (Refused e) { throw InvalidInputException.ForFile(path, $"not an ONNX graph crx export writes: {e.Message}"); }
    }

    // ---- the protobuf ----

    private sealed record TensorProto(string Name, int Type, long[] Dims, long Count, long[]? Ints);
    private sealed record AttributeProto(string Name, int Type, float F, long I, string? S, long[] Ints, int Floats);
    private sealed record NodeProto(string OpType, string[] Inputs, string[] Outputs, Dictionary<string, AttributeProto> Attributes);
    private sealed record ValueInfo(string Name, int Type, long?[] Dims);
    private sealed record ModelProto(Dictionary<string, string> Properties, List<(string Domain, long Version)> Opsets, List<NodeProto> Nodes,
        List<TensorProto> Initializers, List<ValueInfo> Inputs, List<ValueInfo> Outputs);

    /// <summary>Protobuf's wire format over a span: varints, lengths checked against what is left, no copy.</summary>
    private ref struct Wire(ReadOnlySpan<byte> bytes)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;
        private int _at;

        public readonly bool More => _at < _bytes.Length;

        public (int Field, int Type) Tag()
        {
            ulong key = Varint();
            if (key >> 3 is 0 or > int.MaxValue) throw new Refused("its protobuf is damaged (a field number 0)");
            return ((int)(key >> 3), (int)(key & 7));
        }

        public ulong Varint()
        {
            ulong value = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                if (_at >= _bytes.Length) throw new Refused("its protobuf ends inside a number");
                byte b = _bytes[_at++];
                value |= (ulong)(b & 0x7f) << shift;
                if (b < 0x80) return value;
            }
            throw new Refused("its protobuf has a number longer than 10 bytes");
        }

        public long Int64() => (long)Varint();

        public ReadOnlySpan<byte> Bytes()
        {
            ulong length = Varint();
            if (length > (ulong)(_bytes.Length - _at)) throw new Refused($"its protobuf declares {length} bytes where {_bytes.Length - _at} are left");
            var span = _bytes.Slice(_at, (int)length);
            _at += (int)length;
            return span;
        }

        public string String() => Encoding.UTF8.GetString(Bytes());

        public uint Fixed32()
        {
            if (_bytes.Length - _at < 4) throw new Refused("its protobuf ends inside a number");
            uint value = BinaryPrimitives.ReadUInt32LittleEndian(_bytes[_at..]);
            _at += 4;
            return value;
        }

        public void Skip(int type)
        {
            switch (type)
            {
                case 0: Varint(); break;
                case 1: if (_bytes.Length - _at < 8) throw new Refused("its protobuf ends inside a number"); _at += 8; break;
                case 2: Bytes(); break;
                case 5: Fixed32(); break;
                default: throw new Refused($"its protobuf has wire type {type}, which ONNX does not use");
            }
        }

        /// <summary>A repeated int64 field, packed or not, appended to <paramref name="values"/>.</summary>
        public void Int64s(int type, List<long> values)
        {
            if (type == 0) { values.Add(Int64()); return; }
            if (type != 2) throw new Refused("its protobuf has a list of integers of the wrong wire type");
            var packed = new Wire(Bytes());
            while (packed.More) values.Add(packed.Int64());
        }
    }

    private static Refused Unexpected(string message, int field) => new($"its {message} has field {field}, which this program does not run (crx export never writes it)");

    private static ModelProto ReadModel(byte[] file)
    {
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        var opsets = new List<(string, long)>();
        ReadOnlySpan<byte> graph = default;
        bool hasGraph = false;
        var wire = new Wire(file);
        while (wire.More)
        {
            var (field, type) = wire.Tag();
            switch (field)
            {
                case 1: case 5: wire.Skip(type); break;                 // ir_version, model_version
                case 2: case 3: case 4: case 6: wire.Skip(type); break; // producer, domain, doc_string
                case 7: graph = wire.Bytes(); hasGraph = true; break;
                case 8:
                {
                    var opset = new Wire(wire.Bytes());
                    string domain = "";
                    long version = 0;
                    while (opset.More)
                    {
                        var (f, t) = opset.Tag();
                        if (f == 1) domain = opset.String();
                        else if (f == 2) version = opset.Int64();
                        else opset.Skip(t);
                    }
                    opsets.Add((domain, version));
                    break;
                }
                case 14:
                {
                    var entry = new Wire(wire.Bytes());
                    string key = "", value = "";
                    while (entry.More)
                    {
                        var (f, t) = entry.Tag();
                        if (f == 1) key = entry.String();
                        else if (f == 2) value = entry.String();
                        else entry.Skip(t);
                    }
                    // Readers disagree on a repeated key (first or last wins): refuse it.
                    if (!properties.TryAdd(key, value)) throw new Refused($"its metadata names {Short(key)} twice");
                    break;
                }
                default: throw Unexpected("model", field); // training_info, functions, configuration: programs beside the graph
            }
        }
        if (!hasGraph) throw new Refused("it holds no graph");
        var (nodes, initializers, inputs, outputs) = ReadGraph(graph);
        return new ModelProto(properties, opsets, nodes, initializers, inputs, outputs);
    }

    private static (List<NodeProto>, List<TensorProto>, List<ValueInfo>, List<ValueInfo>) ReadGraph(ReadOnlySpan<byte> bytes)
    {
        var nodes = new List<NodeProto>();
        var initializers = new List<TensorProto>();
        var inputs = new List<ValueInfo>();
        var outputs = new List<ValueInfo>();
        var wire = new Wire(bytes);
        while (wire.More)
        {
            var (field, type) = wire.Tag();
            switch (field)
            {
                case 1: nodes.Add(ReadNode(wire.Bytes())); break;
                case 2: case 10: case 13: case 14: case 16: wire.Skip(type); break; // name, doc, value_info, quantization annotations, metadata
                case 5: initializers.Add(ReadTensor(wire.Bytes())); break;
                case 11: inputs.Add(ReadValueInfo(wire.Bytes())); break;
                case 12: outputs.Add(ReadValueInfo(wire.Bytes())); break;
                default: throw Unexpected("graph", field); // sparse initializers
            }
        }
        return (nodes, initializers, inputs, outputs);
    }

    private static NodeProto ReadNode(ReadOnlySpan<byte> bytes)
    {
        var inputs = new List<string>();
        var outputs = new List<string>();
        var attributes = new Dictionary<string, AttributeProto>(StringComparer.Ordinal);
        string op = "", domain = "";
        var wire = new Wire(bytes);
        while (wire.More)
        {
            var (field, type) = wire.Tag();
            switch (field)
            {
                case 1: inputs.Add(wire.String()); break;
                case 2: outputs.Add(wire.String()); break;
                case 3: case 6: case 9: wire.Skip(type); break; // name, doc_string, metadata
                case 4: op = wire.String(); break;
                case 5:
                    var a = ReadAttribute(wire.Bytes());
                    if (!attributes.TryAdd(a.Name, a)) throw new Refused($"a {Short(op)} node sets attribute {Short(a.Name)} twice");
                    break;
                case 7: domain = wire.String(); break;
                default: throw Unexpected("node", field); // overload (a function call), device configurations
            }
        }
        if (domain is not ("" or "ai.onnx")) throw new Refused($"a node is of domain {Short(domain)}; only ONNX's own operators run");
        return new NodeProto(op, [.. inputs], [.. outputs], attributes);
    }

    private static AttributeProto ReadAttribute(ReadOnlySpan<byte> bytes)
    {
        string name = "";
        string? s = null;
        int type = 0, floats = 0;
        float f = 0;
        long i = 0;
        var ints = new List<long>();
        var wire = new Wire(bytes);
        while (wire.More)
        {
            var (field, wt) = wire.Tag();
            switch (field)
            {
                case 1: name = wire.String(); break;
                case 2: f = BitConverter.UInt32BitsToSingle(wire.Fixed32()); break;
                case 3: i = wire.Int64(); break;
                case 4: s = wire.String(); break;
                case 7:
                    if (wt == 5) { wire.Fixed32(); floats++; }
                    else { var packed = wire.Bytes(); floats += packed.Length / 4; }
                    break;
                case 8: wire.Int64s(wt, ints); break;
                case 13: wire.Skip(wt); break; // doc_string
                case 20: type = (int)wire.Int64(); break;
                // t, g, tensors, graphs, type protos, sparse tensors, ref_attr_name: subgraphs and tensors run or
                // allocate beyond what the node says (a Loop's body, a Constant of any size).
                default: throw new Refused($"attribute {Short(name)} has field {field} (a tensor, a graph or a reference), which this program does not run");
            }
        }
        return new AttributeProto(name, type, f, i, s, [.. ints], floats);
    }

    private static TensorProto ReadTensor(ReadOnlySpan<byte> bytes)
    {
        var dims = new List<long>();
        var int64s = new List<long>();
        int type = 0;
        long rawLength = -1, typedCount = 0;
        string name = "";
        long[]? raw64 = null;
        var wire = new Wire(bytes);
        while (wire.More)
        {
            var (field, wt) = wire.Tag();
            switch (field)
            {
                case 1: wire.Int64s(wt, dims); break;
                case 2: type = (int)wire.Int64(); break;
                case 4:                                                    // float_data
                    if (wt == 5) { wire.Fixed32(); typedCount++; }
                    else typedCount += wire.Bytes().Length / 4;
                    break;
                case 5:                                                    // int32_data (int8, uint8, int32)
                    var int32s = new List<long>();
                    wire.Int64s(wt, int32s);
                    typedCount += int32s.Count;
                    break;
                case 7: wire.Int64s(wt, int64s); typedCount = int64s.Count; break;
                case 8: name = wire.String(); break;
                case 9:
                    var data = wire.Bytes();
                    rawLength = data.Length;
                    if (data.Length <= 8 * 16 && data.Length % 8 == 0)
                    {
                        raw64 = new long[data.Length / 8];
                        for (int k = 0; k < raw64.Length; k++) raw64[k] = BinaryPrimitives.ReadInt64LittleEndian(data[(8 * k)..]);
                    }
                    break;
                case 12: wire.Skip(wt); break;                             // doc_string
                case 14:
                    if (wire.Int64() != 0) throw new Refused($"initializer {Short(name)} keeps its data in another file");
                    break;
                default: throw new Refused($"initializer {Short(name)} has field {field} (external data, segments, strings), which this program does not read");
            }
        }
        long count = 1;
        foreach (long d in dims)
        {
            if (d < 0) throw new Refused($"initializer {Short(name)} has a negative dimension");
            count = d == 0 ? 0 : count > long.MaxValue / d ? throw new Refused($"initializer {Short(name)} has a shape whose size overflows") : count * d;
        }
        int size = type switch
        {
            Float or Int32 => 4,
            Int64 => 8,
            UInt8 or Int8 or Bool => 1,
            _ => throw new Refused($"initializer {Short(name)} has element type {type}, which crx export never writes"),
        };
        // ONNX Runtime sizes an initializer from its dims: they must be what the file holds.
        if (rawLength >= 0 ? rawLength != count * size : typedCount != count)
            throw new Refused($"initializer {Short(name)} declares {count} elements but holds {(rawLength >= 0 ? rawLength / size : typedCount)}");
        long[]? ints = type == Int64 && count <= 16 ? rawLength >= 0 ? raw64 : [.. int64s] : null;
        return new TensorProto(name, type, [.. dims], count, ints);
    }

    private static ValueInfo ReadValueInfo(ReadOnlySpan<byte> bytes)
    {
        string name = "";
        int elementType = 0;
        var dims = new List<long?>();
        var wire = new Wire(bytes);
        while (wire.More)
        {
            var (field, type) = wire.Tag();
            if (field == 1) name = wire.String();
            else if (field == 2)
            {
                var typeProto = new Wire(wire.Bytes());
                while (typeProto.More)
                {
                    var (f, t) = typeProto.Tag();
                    if (f == 6) { typeProto.Skip(t); continue; } // denotation
                    if (f != 1) throw new Refused($"value {Short(name)} is not a tensor");
                    var tensorType = new Wire(typeProto.Bytes());
                    while (tensorType.More)
                    {
                        var (g, u) = tensorType.Tag();
                        if (g == 1) elementType = (int)tensorType.Int64();
                        else if (g == 2)
                        {
                            var shape = new Wire(tensorType.Bytes());
                            while (shape.More)
                            {
                                var (h, v) = shape.Tag();
                                if (h != 1) { shape.Skip(v); continue; }
                                var dim = new Wire(shape.Bytes());
                                long? value = null;
                                while (dim.More)
                                {
                                    var (k, w) = dim.Tag();
                                    if (k == 1) value = dim.Int64();
                                    else dim.Skip(w); // dim_param (symbolic), denotation
                                }
                                dims.Add(value);
                            }
                        }
                        else tensorType.Skip(u);
                    }
                }
            }
            else wire.Skip(type); // doc_string, metadata
        }
        return new ValueInfo(name, elementType, [.. dims]);
    }

    // ---- the graph ----

    private sealed record Value(int Type, long[] Shape, long[]? Ints = null)
    {
        public long Elements => Shape.Aggregate(1L, (a, d) => a * d);
        public int Rank => Shape.Length;
    }

    private static void CheckGraph(ModelProto model, ModelMetadata meta)
    {
        var arch = meta.Architecture;
        foreach (var (domain, version) in model.Opsets)
            if (domain is not ("" or "ai.onnx") || version < MinOpset || version > MaxOpset)
                throw new Refused($"it imports opset {Short(domain)} {version}; crx export writes ai.onnx {OnnxProto.Opset} (a graph may use {MinOpset}..{MaxOpset})");

        var initializers = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
        foreach (var t in model.Initializers)
            if (!initializers.TryAdd(t.Name, t)) throw new Refused($"initializer {Short(t.Name)} appears twice");

        // One input: the images the metadata promises, any batch.
        var input = model.Inputs.Where(i => !initializers.ContainsKey(i.Name)).ToList();
        if (model.Inputs.Count != 1 || input.Count != 1 || input[0].Name != OnnxExport.Input)
            throw new Refused($"its inputs are [{string.Join(", ", model.Inputs.Select(i => Short(i.Name)))}], not the one input {OnnxExport.Input}");
        long[] image = [arch.InputChannels, arch.ImageSize, arch.ImageSize];
        if (input[0].Type != Float || input[0].Dims.Length != 4 || input[0].Dims[0] is not null || !input[0].Dims.Skip(1).SequenceEqual(image.Select(d => (long?)d)))
            throw new Refused($"its input {OnnxExport.Input} is {Describe(input[0])}, not float [batch, {string.Join(", ", image)}] as its metadata says");

        // The outputs the metadata needs: logits, and the energies of every coded block of a full network.
        var wanted = new List<(string Name, long Width)> { (OnnxExport.Logits, arch.Outputs) };
        if (meta.Kind != BinaryClassifierFile.Kind)
            wanted.AddRange(arch.CodedBlockIndices.Select(i => (OnnxExport.EnergiesOutput(i), (long)arch.Blocks[i].SubNNs)));
        if (!model.Outputs.Select(o => o.Name).SequenceEqual(wanted.Select(w => w.Name)))
            throw new Refused($"its outputs are [{string.Join(", ", model.Outputs.Select(o => Short(o.Name)))}], not [{string.Join(", ", wanted.Select(w => w.Name))}]");
        foreach (var (output, (name, width)) in model.Outputs.Zip(wanted))
            if (output.Type != Float || output.Dims.Length != 2 || output.Dims[0] is not null || output.Dims[1] != width)
                throw new Refused($"its output {name} is {Describe(output)}, not float [batch, {width}] as its metadata says");

        // The weights are in the file: a few KB cannot stand for a network of millions of parameters.
        var (parameters, activations) = arch.SizeEstimate();
        long weights = initializers.Values.Where(t => t.Type is Float or Int8 or UInt8).Sum(t => t.Count);
        if (weights < parameters / 4)
            throw new Refused($"it holds {weights} weights; the {Short(arch.Name)} architecture of its metadata has {parameters:G3} parameters");

        // Per image: the architecture's activations (and the coded blocks' d x d moments the export computes).
        double perImage = activations + arch.Outputs
                          + arch.CodedBlockIndices.Sum(i => 4.0 * arch.Blocks[i].SubNNs * arch.Blocks[i].BottleneckWidth * arch.Blocks[i].BottleneckWidth);
        double work = ComputeCost.Of(arch).Total;
        var sizes = new List<Dictionary<string, long>>();
        for (int batch = 1; batch <= 3; batch++)
        {
            var (elements, total, macs) = Infer(model, initializers, batch, [batch, .. image], wanted, perImage);
            if (batch == 1)
            {
                if (total > TotalFactor * perImage)
                    throw new Refused($"its values hold {total} elements per image, more than {TotalFactor} times the {perImage:G3} of the architecture's activations");
                if (macs > WorkFactor * work + 2 * TotalFactor * perImage)
                    throw new Refused($"it computes {macs:G3} multiply-adds per image, more than {WorkFactor} times the {work:G3} of its architecture");
            }
            sizes.Add(elements);
        }
        // A value of 2 or 3 images is at most 2 or 3 times one image's: nothing grows with the square of the batch.
        foreach (var (name, one) in sizes[0])
            for (int batch = 2; batch <= 3; batch++)
                if (sizes[batch - 1][name] > batch * one)
                    throw new Refused($"value {Short(name)} grows faster than the batch ({one} elements for 1 image, {sizes[batch - 1][name]} for {batch})");
    }

    /// <summary>
    /// The shape of every value for <paramref name="batch"/> images: each value's elements, their sum, and the
    /// multiply-adds. A node that is not one the export (or a QDQ graph) uses, or attributes it does not write, is refused.
    /// </summary>
    private static (Dictionary<string, long> Elements, long Total, double Macs) Infer(ModelProto model, Dictionary<string, TensorProto> initializers,
        int batch, long[] input, List<(string Name, long Width)> outputs, double perImage)
    {
        var values = new Dictionary<string, Value>(StringComparer.Ordinal);
        foreach (var t in initializers.Values) values[t.Name] = new Value(t.Type, t.Dims, t.Ints);
        values[OnnxExport.Input] = new Value(Float, input);
        var elements = new Dictionary<string, long>(StringComparer.Ordinal);
        long total = 0;
        double macs = 0;
        // A value larger than the architecture's activations of these images is refused as soon as it is inferred.
        double limit = perImage * batch;
        foreach (var node in model.Nodes)
        {
            if (node.Outputs.Length != 1) throw new Refused($"a {Short(node.OpType)} node has {node.Outputs.Length} outputs; every node crx export writes has one");
            var args = node.Inputs.Select(name => values.TryGetValue(name, out var v) ? v
                : throw new Refused($"a {Short(node.OpType)} node reads {Short(name)}, which no earlier node, initializer or input makes")).ToArray();
            var (output, work) = Node(node, args, limit);
            string name = node.Outputs[0];
            if (!values.TryAdd(name, output)) throw new Refused($"value {Short(name)} is made twice");
            elements[name] = output.Elements;
            total += output.Elements;
            macs += work;
        }
        foreach (var (name, width) in outputs)
        {
            var value = values.GetValueOrDefault(name) ?? throw new Refused($"no node makes its output {name}");
            if (value.Type != Float || !value.Shape.SequenceEqual([batch, width]))
                throw new Refused($"its output {name} is computed as {TypeName(value.Type)} [{string.Join(", ", value.Shape)}] for {batch} images, not float [{batch}, {width}]");
        }
        return (elements, total, macs);
    }

    /// <summary>One node's output and multiply-adds; every rule is what ONNX defines for the operator, restricted to what the export writes.</summary>
    private static (Value Output, double Work) Node(NodeProto n, Value[] x, double limit)
    {
        string op = n.OpType;
        void Arity(int min, int max)
        {
            if (x.Length < min || x.Length > max) throw new Refused($"a {op} node has {x.Length} inputs");
        }
        void Attributes(params string[] allowed)
        {
            foreach (var a in n.Attributes.Keys)
                if (!allowed.Contains(a)) throw new Refused($"a {op} node has attribute {Short(a)}, which crx export never sets");
        }
        void Type(Value v, params int[] types)
        {
            if (!types.Contains(v.Type)) throw new Refused($"a {op} node gets a value of type {TypeName(v.Type)}");
        }
        long Int(string name, long fallback) => n.Attributes.TryGetValue(name, out var a) ? a.I : fallback;
        long[] Ints(string name, long[] fallback) => n.Attributes.TryGetValue(name, out var a) ? a.Ints : fallback;
        Value Checked(Value v)
        {
            if (v.Shape.Any(d => d < 0)) throw new Refused($"a {op} node makes a negative dimension");
            double elements = v.Shape.Aggregate(1.0, (a, d) => a * d);
            if (elements > limit)
                throw new Refused($"a {op} node makes a value of {elements:G3} elements, more than the {limit:G3} the architecture's activations hold");
            return v;
        }

        switch (op)
        {
            case "Conv":
            {
                Arity(2, 3);
                Attributes("group", "strides", "pads", "dilations", "kernel_shape", "auto_pad");
                var (image, weight) = (x[0], x[1]);
                Type(image, Float);
                Type(weight, Float);
                if (image.Rank != 4 || weight.Rank != 4) throw new Refused("a Conv node is not two-dimensional");
                long group = Int("group", 1);
                long[] kernel = weight.Shape[2..];
                long[] strides = Ints("strides", [1, 1]), pads = Ints("pads", [0, 0, 0, 0]), dilations = Ints("dilations", [1, 1]);
                if (n.Attributes.TryGetValue("auto_pad", out var autoPad) && autoPad.S != "NOTSET") throw new Refused("a Conv node pads automatically");
                if (!Ints("kernel_shape", kernel).SequenceEqual(kernel) || strides.Length != 2 || pads.Length != 4 || !dilations.SequenceEqual([1L, 1L])
                    || strides.Any(s => s < 1) || kernel.Any(k => k < 1) || Enumerable.Range(0, 4).Any(i => pads[i] < 0 || pads[i] >= kernel[i % 2]))
                    throw new Refused("a Conv node has strides, pads or dilations crx export never writes");
                if (group < 1 || weight.Shape[1] * group != image.Shape[1] || weight.Shape[0] % group != 0)
                    throw new Refused($"a Conv node's weight [{string.Join(", ", weight.Shape)}] does not fit its {image.Shape[1]} channels in {group} groups");
                if (x.Length == 3 && !x[2].Shape.SequenceEqual([weight.Shape[0]])) throw new Refused("a Conv node's bias is not one value per channel");
                long[] side = [0, 0];
                for (int i = 0; i < 2; i++)
                {
                    long padded = image.Shape[2 + i] + pads[i] + pads[i + 2];
                    if (padded < kernel[i]) throw new Refused("a Conv node's kernel is larger than its padded input");
                    side[i] = (padded - kernel[i]) / strides[i] + 1;
                }
                var output = Checked(new Value(Float, [image.Shape[0], weight.Shape[0], side[0], side[1]]));
                return (output, (double)output.Elements * weight.Shape[1] * kernel[0] * kernel[1]);
            }
            case "MaxPool":
            {
                Arity(1, 1);
                Attributes("kernel_shape", "strides", "pads", "dilations", "ceil_mode", "storage_order", "auto_pad");
                var image = x[0];
                Type(image, Float);
                long[] kernel = Ints("kernel_shape", []), strides = Ints("strides", [1, 1]), pads = Ints("pads", [0, 0, 0, 0]);
                if (image.Rank != 4 || kernel.Length != 2 || strides.Length != 2 || pads.Length != 4 || kernel.Any(k => k < 1) || strides.Any(s => s < 1)
                    || Enumerable.Range(0, 4).Any(i => pads[i] < 0 || pads[i] >= kernel[i % 2]) || !Ints("dilations", [1, 1]).SequenceEqual([1L, 1L])
                    || Int("ceil_mode", 0) != 0 || Int("storage_order", 0) != 0 || (n.Attributes.TryGetValue("auto_pad", out var a) && a.S != "NOTSET"))
                    throw new Refused("a MaxPool node is not the stem's 3x3 pool of crx export");
                long[] side = [0, 0];
                for (int i = 0; i < 2; i++)
                {
                    long padded = image.Shape[2 + i] + pads[i] + pads[i + 2];
                    if (padded < kernel[i]) throw new Refused("a MaxPool node's kernel is larger than its padded input");
                    side[i] = (padded - kernel[i]) / strides[i] + 1;
                }
                var output = Checked(new Value(Float, [image.Shape[0], image.Shape[1], side[0], side[1]]));
                return (output, (double)output.Elements * kernel[0] * kernel[1]);
            }
            case "BatchNormalization":
            {
                Arity(5, 5);
                Attributes("epsilon", "momentum", "training_mode");
                if (Int("training_mode", 0) != 0) throw new Refused("a BatchNormalization node is in training mode");
                var image = x[0];
                Type(image, Float);
                if (image.Rank < 2 || x.Skip(1).Any(p => p.Type != Float || !p.Shape.SequenceEqual([image.Shape[1]])))
                    throw new Refused("a BatchNormalization node's statistics are not one value per channel");
                return (Checked(image with { Ints = null }), image.Elements);
            }
            case "Relu" or "Sqrt" or "Reciprocal":
                Arity(1, 1);
                Attributes();
                Type(x[0], Float);
                return (Checked(x[0] with { Ints = null }), x[0].Elements);
            case "Add" or "Mul" or "Div":
            {
                Arity(2, 2);
                Attributes();
                Type(x[0], Float);
                Type(x[1], Float);
                var output = Checked(new Value(Float, Broadcast(op, x[0].Shape, x[1].Shape)));
                return (output, output.Elements);
            }
            case "Equal":
            {
                Arity(2, 2);
                Attributes();
                Type(x[0], Float);
                Type(x[1], Float);
                var output = Checked(new Value(Bool, Broadcast(op, x[0].Shape, x[1].Shape)));
                return (output, output.Elements);
            }
            case "Where":
            {
                Arity(3, 3);
                Attributes();
                Type(x[0], Bool);
                Type(x[1], Float);
                Type(x[2], Float);
                var output = Checked(new Value(Float, Broadcast(op, Broadcast(op, x[0].Shape, x[1].Shape), x[2].Shape)));
                return (output, output.Elements);
            }
            case "GlobalAveragePool":
                Arity(1, 1);
                Attributes();
                Type(x[0], Float);
                if (x[0].Rank != 4) throw new Refused("a GlobalAveragePool node's input is not [batch, channels, height, width]");
                return (Checked(new Value(Float, [x[0].Shape[0], x[0].Shape[1], 1, 1])), x[0].Elements);
            case "Flatten":
            {
                Arity(1, 1);
                Attributes("axis");
                long axis = Int("axis", 1);
                if (axis < 0) axis += x[0].Rank;
                if (axis < 0 || axis > x[0].Rank) throw new Refused("a Flatten node's axis is outside its input");
                long outer = x[0].Shape.Take((int)axis).Aggregate(1L, (a, d) => a * d), inner = x[0].Shape.Skip((int)axis).Aggregate(1L, (a, d) => a * d);
                return (Checked(new Value(x[0].Type, [outer, inner])), 0);
            }
            case "Gemm":
            {
                Arity(2, 3);
                Attributes("transA", "transB", "alpha", "beta");
                var (a, b) = (x[0], x[1]);
                Type(a, Float);
                Type(b, Float);
                if (a.Rank != 2 || b.Rank != 2) throw new Refused("a Gemm node's inputs are not matrices");
                long m = Int("transA", 0) != 0 ? a.Shape[1] : a.Shape[0], k = Int("transA", 0) != 0 ? a.Shape[0] : a.Shape[1];
                long k2 = Int("transB", 0) != 0 ? b.Shape[1] : b.Shape[0], cols = Int("transB", 0) != 0 ? b.Shape[0] : b.Shape[1];
                if (k != k2) throw new Refused($"a Gemm node multiplies {k} columns by {k2} rows");
                if (x.Length == 3 && !Broadcast(op, x[2].Shape, [m, cols]).SequenceEqual([m, cols])) throw new Refused("a Gemm node's bias does not fit its output");
                var output = Checked(new Value(Float, [m, cols]));
                return (output, (double)output.Elements * k);
            }
            case "MatMul":
            {
                Arity(2, 2);
                Attributes();
                var (a, b) = (x[0], x[1]);
                Type(a, Float);
                Type(b, Float);
                if (a.Rank < 2 || b.Rank < 2) throw new Refused("a MatMul node's inputs are not matrices");
                long k = a.Shape[^1];
                if (b.Shape[^2] != k) throw new Refused($"a MatMul node multiplies {k} columns by {b.Shape[^2]} rows");
                long[] batchDims = Broadcast(op, a.Shape[..^2], b.Shape[..^2]);
                var output = Checked(new Value(Float, [.. batchDims, a.Shape[^2], b.Shape[^1]]));
                return (output, (double)output.Elements * k);
            }
            case "Transpose":
            {
                Arity(1, 1);
                Attributes("perm");
                long[] perm = Ints("perm", Enumerable.Range(0, x[0].Rank).Reverse().Select(i => (long)i).ToArray());
                if (perm.Length != x[0].Rank || perm.Order().Select((p, i) => p == i).Any(same => !same))
                    throw new Refused("a Transpose node's permutation is not one of its axes");
                return (Checked(new Value(x[0].Type, perm.Select(p => x[0].Shape[p]).ToArray())), x[0].Elements);
            }
            case "Reshape":
            {
                Arity(2, 2);
                Attributes("allowzero");
                if (Int("allowzero", 0) != 0) throw new Refused("a Reshape node allows zero dimensions");
                if (x[1].Type != Int64 || x[1].Ints is not { } target) throw new Refused("a Reshape node's shape is not a constant of the file");
                var shape = new long[target.Length];
                int infer = -1;
                for (int i = 0; i < target.Length; i++)
                {
                    if (target[i] == -1)
                    {
                        if (infer >= 0) throw new Refused("a Reshape node infers two dimensions");
                        infer = i;
                    }
                    else if (target[i] == 0)
                        shape[i] = i < x[0].Rank ? x[0].Shape[i] : throw new Refused("a Reshape node copies a dimension its input lacks");
                    else shape[i] = target[i] > 0 ? target[i] : throw new Refused("a Reshape node has a negative dimension");
                }
                long known = shape.Where((_, i) => i != infer).Aggregate(1L, (a, d) => a * d);
                if (infer >= 0) shape[infer] = known > 0 && x[0].Elements % known == 0 ? x[0].Elements / known : throw new Refused("a Reshape node's shape does not divide its input");
                if (shape.Aggregate(1L, (a, d) => a * d) != x[0].Elements) throw new Refused("a Reshape node changes the number of elements");
                return (Checked(new Value(x[0].Type, shape)), 0);
            }
            case "ReduceSum":
            {
                Arity(1, 2);
                Attributes("keepdims", "noop_with_empty_axes");
                Type(x[0], Float);
                if (Int("noop_with_empty_axes", 0) != 0) throw new Refused("a ReduceSum node has noop_with_empty_axes");
                long[] axes = x.Length == 2 ? x[1].Ints ?? throw new Refused("a ReduceSum node's axes are not a constant of the file")
                    : Enumerable.Range(0, x[0].Rank).Select(i => (long)i).ToArray();
                var reduced = axes.Select(a => a < 0 ? a + x[0].Rank : a).ToHashSet();
                if (reduced.Any(a => a < 0 || a >= x[0].Rank)) throw new Refused("a ReduceSum node's axes are outside its input");
                bool keep = Int("keepdims", 1) != 0;
                long[] shape = x[0].Shape.Select((d, i) => reduced.Contains(i) ? keep ? 1 : -1 : d).Where(d => d >= 0).ToArray();
                return (Checked(new Value(Float, shape)), x[0].Elements);
            }
            case "QuantizeLinear" or "DequantizeLinear":
            {
                Arity(2, 3);
                Attributes("axis", "saturate", "block_size", "output_dtype");
                bool quantize = op == "QuantizeLinear";
                var (value, scale) = (x[0], x[1]);
                Type(value, quantize ? [Float] : [Int8, UInt8, Int32]);
                Type(scale, Float);
                if (Int("block_size", 0) != 0) throw new Refused($"a {op} node quantizes by blocks");
                int zeroType = x.Length == 3 ? x[2].Type : quantize ? (int)Int("output_dtype", UInt8) : value.Type;
                if (quantize && zeroType is not (Int8 or UInt8)) throw new Refused("a QuantizeLinear node quantizes to a type other than int8 or uint8");
                if (!quantize && zeroType != value.Type) throw new Refused("a DequantizeLinear node's zero point is not of its input's type");
                if (x.Length == 3 && !x[2].Shape.SequenceEqual(scale.Shape)) throw new Refused($"a {op} node's zero point is not shaped as its scale");
                long axis = Int("axis", 1);
                if (axis < 0) axis += value.Rank;
                if (scale.Rank > 1 || (scale.Rank == 1 && (axis < 0 || axis >= value.Rank || scale.Shape[0] != value.Shape[axis])))
                    throw new Refused($"a {op} node's scale is neither one value nor one per channel");
                return (Checked(new Value(quantize ? zeroType : Float, value.Shape)), value.Elements);
            }
            default:
                throw new Refused($"a node runs {Short(op)}, which crx export never writes (it writes Conv, BatchNormalization, Relu, MaxPool, " +
                                  "Reshape, Transpose, MatMul, Mul, Div, Add, ReduceSum, Equal, Where, Reciprocal, Sqrt, GlobalAveragePool, Flatten, Gemm, " +
                                  "and a quantized graph QuantizeLinear and DequantizeLinear)");
        }
    }

    /// <summary>NumPy's broadcast of two shapes, as ONNX defines it for elementwise operators.</summary>
    private static long[] Broadcast(string op, long[] a, long[] b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var shape = new long[rank];
        for (int i = 0; i < rank; i++)
        {
            long da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)], db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            shape[i] = da == db || db == 1 ? da : da == 1 ? db
                : throw new Refused($"a {op} node combines shapes [{string.Join(", ", a)}] and [{string.Join(", ", b)}]");
        }
        return shape;
    }

    private static string Describe(ValueInfo v) => $"{TypeName(v.Type)} [{string.Join(", ", v.Dims.Select(d => d?.ToString() ?? "batch"))}]";

    private static string TypeName(int type) => type switch
    {
        Float => "float",
        UInt8 => "uint8",
        Int8 => "int8",
        Int32 => "int32",
        Int64 => "int64",
        Bool => "bool",
        10 => "float16",
        11 => "double",
        _ => $"type {type}",
    };

    private static string Short(string text) => TorchPickle.Shorten(text);
}
