namespace CodedResNeXt.Interop;

/// <summary>How the authors' released weights are stored (<see cref="CodedResNeXtModel.Import"/>, <c>crx import --from</c>).</summary>
public enum WeightsFormat
{
    /// <summary>safetensors with their state_dict names (crx import --from official).</summary>
    Safetensors,
    /// <summary>a torch.save zip: a Lightning checkpoint's state_dict, or a bare state_dict (crx import --from lightning).</summary>
    Lightning,
}
