using System.Text.Json.Serialization;

namespace CodedResNeXt.Data;

/// <summary>Where a run's per-channel mean and std come from.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<NormalizationSource>))]
public enum NormalizationSource
{
    /// <summary>The training set's own statistics (what every run before this option used, hence the default value).</summary>
    Dataset,
    /// <summary>The released code's constants (<see cref="Normalization.Published"/>): CIFAR-10 and CIFAR-100 only.</summary>
    Published,
}
