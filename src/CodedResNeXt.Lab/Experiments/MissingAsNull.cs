using System.Text.Json;
using System.Text.Json.Serialization;

namespace CodedResNeXt.Experiments;

/// <summary>
/// Writes a figure that was not measured (NaN, e.g. the held-out precision of a run that held no class out, or the
/// deviation of a single seed) as JSON null, which every JSON reader understands, and reads null back as NaN.
/// Also reads the "NaN" strings that earlier results files hold.
/// </summary>
internal sealed class MissingAsNull : JsonConverter<double>
{
    /// <summary>True: null reaches <see cref="Read"/>, which turns it into NaN.</summary>
    public override bool HandleNull => true;

    /// <summary>A number as itself, null or "NaN" as NaN; any other token is a <see cref="JsonException"/>.</summary>
    public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
    {
        JsonTokenType.Null => double.NaN,
        JsonTokenType.String when reader.GetString() == "NaN" => double.NaN,
        JsonTokenType.Number => reader.GetDouble(),
        _ => throw new JsonException($"expected a number or null, found {reader.TokenType}"),
    };

    /// <summary>A finite value as a number, NaN and infinities as null.</summary>
    public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
    {
        if (double.IsFinite(value)) writer.WriteNumberValue(value);
        else writer.WriteNullValue();
    }
}
